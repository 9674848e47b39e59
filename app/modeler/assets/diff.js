// Two versions side by side (bpmn-js viewers) with bpmn-js-differ's changes coloured on both diagrams and listed.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';
import spiffModdle from './moddle/spiffworkflow.json';
import { el, readConfig, translator } from './dom.js';

const KINDS = [['_added', 'added'], ['_removed', 'removed'], ['_changed', 'changed'], ['_layoutChanged', 'layout']];

function describe(value) {
  if (value === undefined || value === null) {
    return '—';
  }
  if (typeof value === 'object') {
    return value.id || value.name || value.body || value.$type || JSON.stringify(value);
  }
  return String(value);
}

export async function start() {
  const root = document.getElementById('version-diff');
  if (!root) {
    return;
  }
  const config = readConfig('diff-config');
  const t = translator(config.texts);
  const make = (id) => new NavigatedViewer({ container: `#${id}`, moddleExtensions: { spiffworkflow: spiffModdle } });
  const left = make('diff-old');
  const right = make('diff-new');
  const [oldXml, newXml] = await Promise.all([config.oldUrl, config.newUrl].map((url) =>
    fetch(url, { credentials: 'same-origin' }).then((r) => r.text())));
  await left.importXML(oldXml);
  await right.importXML(newXml);
  [left, right].forEach((v) => v.get('canvas').zoom('fit-viewport'));
  const changes = diff(left.getDefinitions(), right.getDefinitions());
  const list = document.getElementById('diff-list');
  const counts = {};
  const mark = (viewer, id, cls) => {
    if (viewer.get('elementRegistry').get(id)) {
      viewer.get('canvas').addMarker(id, cls);
      return true;
    }
    return false;
  };
  for (const [key, kind] of KINDS) {
    const entries = Object.entries(changes[key] || {});
    counts[kind] = entries.length;
    for (const [id, change] of entries) {
      const model = change.model || change;
      if (kind !== 'removed') {
        mark(right, id, `diff-${kind}`);
      }
      if (kind !== 'added') {
        mark(left, id, `diff-${kind}`);
      }
      const details = kind === 'changed'
        ? Object.entries(change.attrs || {}).map(([attr, values]) =>
          el('li', {}, el('code', {}, attr), ': ', describe(values.oldValue), ' → ', describe(values.newValue)))
        : [];
      const item = el('li', { class: `diff-item diff-${kind}`, dataset: { element: id, kind } },
        el('span', { class: 'diff-kind' }, t(`diff:${kind}`)), ' ',
        el('strong', {}, model.name || id), ' ', el('span', { class: 'muted' }, `${model.$type ? model.$type.replace('bpmn:', '') : ''} · ${id}`),
        details.length ? el('ul', {}, ...details) : null);
      item.addEventListener('click', () => {
        [left, right].forEach((viewer) => {
          const element = viewer.get('elementRegistry').get(id);
          if (element) {
            viewer.get('canvas').scrollToElement(element);
          }
        });
      });
      list.append(item);
    }
  }
  if (!list.children.length) {
    list.append(el('li', { class: 'muted' }, t('The two versions draw the same process.')));
  }
  root.dataset.ready = 'true';
  root.dataset.counts = JSON.stringify(counts);
}

start().catch((err) => {
  const root = document.getElementById('version-diff');
  if (root) {
    root.dataset.ready = 'error';
    root.prepend(el('p', { class: 'flash error' }, String(err)));
  }
});
