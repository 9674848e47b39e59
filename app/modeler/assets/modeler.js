// The modeler page: bpmn-js with the platform's properties panel and lint rules, the process's DMN files in
// dmn-js, its forms in the form editor; save the draft, validate, deploy, test run.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';
import spiffModdle from './moddle/spiffworkflow.json';
import { lintConfig } from './lint/config.js';
import { openCodeEditor } from './code-editor.js';
import { DecisionFiles } from './decision-editor.js';
import { FormFiles } from './form-editor.js';
import { dialog, el, postJSON, readConfig, translator } from './dom.js';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { setBodyExtension, setCondition, setSpiffProperty } from './properties/commands.js';
import PlatformProvider from './properties/provider.js';
import { translateModule } from './translate.js';

const PlatformModule = { __init__: ['platformPropertiesProvider'], platformPropertiesProvider: ['type', PlatformProvider] };

export function start() {
  const root = document.getElementById('modeler');
  if (!root) {
    return;
  }
  const config = readConfig('modeler-config');
  const t = translator(config.texts);
  const state = { revision: config.draft.revision, files: { ...config.draft.files }, dirty: false, serverProblems: [] };
  const forms = new FormFiles({ files: state.files, config, t, onChange: () => { markDirty(); refreshLists(); } });
  const platform = { lanes: config.lanes, roles: config.roles, operations: config.operations, texts: config.texts,
    forms: forms.list(), decisions: [] };

  const modeler = new BpmnModeler({
    container: '#canvas',
    // "General" (name, id) and the platform's groups open, bpmn-js's other groups closed
    propertiesPanel: { parent: '#properties', layout: { groups: Object.fromEntries(['general', 'platform-process', 'platform-lane',
      'platform-form', 'platform-task', 'platform-service', 'platform-script', 'platform-condition', 'platform-timer',
      'platform-message', 'platform-decision'].map((id) => [id, { open: true }])) } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, PlatformModule, lintModule,
      translateModule(config.texts)],
    moddleExtensions: { spiffworkflow: spiffModdle },
    linting: { bpmnlint: lintConfig({ operations: config.operations.map((o) => o.name), messages: config.lintMessages }), active: true },
    platform
  });
  const decisions = new DecisionFiles({ container: document.getElementById('dmn-canvas'), files: state.files, t,
    onChange: () => { markDirty(); refreshLists(); } });
  const eventBus = modeler.get('eventBus');
  const problemsList = document.getElementById('problems');
  const status = document.getElementById('modeler-status');
  let lintIssues = {};

  function say(message, kind = 'info') {
    status.textContent = message;
    status.className = `modeler-status ${kind}`;
  }

  function markDirty() {
    state.dirty = true;
    root.dataset.dirty = 'true';
  }

  async function refreshLists() {
    platform.forms = forms.list();
    platform.decisions = await decisions.decisionIds();
    modeler.get('linting').setLinterConfig(lintConfig({
      operations: config.operations.map((o) => o.name), decisions: platform.decisions.map((d) => d.id),
      messages: config.lintMessages }));
    const selection = modeler.get('selection').get();
    eventBus.fire('elements.changed', { elements: selection.length ? selection : [modeler.get('canvas').getRootElement()] });
    forms.renderList(document.getElementById('form-list'));
    decisions.renderList(document.getElementById('dmn-list'));
  }

  // ------------------------------------------------------------------------------------------- problems

  function renderProblems() {
    const overlays = modeler.get('overlays');
    overlays.remove({ type: 'server-problem' });
    problemsList.replaceChildren();
    const registry = modeler.get('elementRegistry');
    const rows = [];
    state.serverProblems.forEach((p) => rows.push({ ...p, source: 'engine', category: 'error' }));
    Object.entries(lintIssues).forEach(([id, issues]) => issues.forEach((issue) =>
      rows.push({ element: id, message: issue.message, source: 'lint', category: issue.category })));
    state.serverProblems.forEach((p) => {
      if (p.element && registry.get(p.element)) {
        overlays.add(p.element, 'server-problem', {
          position: { top: -12, left: -12 },
          html: el('div', { class: 'server-problem-marker', title: p.message, dataset: { element: p.element } }, '!')
        });
      }
    });
    rows.forEach((row) => {
      const item = el('li', { class: `problem ${row.category}`, dataset: { element: row.element || '', source: row.source } },
        el('span', { class: 'problem-where' }, row.element ? `${elementLabel(row.element)}` : (row.file || '')),
        ' ', el('span', { class: 'problem-message' }, row.message));
      if (row.element && registry.get(row.element)) {
        item.addEventListener('click', () => {
          modeler.get('selection').select(registry.get(row.element));
          modeler.get('canvas').scrollToElement(registry.get(row.element));
        });
      }
      problemsList.append(item);
    });
    document.getElementById('problem-count').textContent = String(rows.length);
  }

  function elementLabel(id) {
    const element = modeler.get('elementRegistry').get(id);
    const name = element && getBusinessObject(element).name;
    return name ? `${name} (${id})` : id;
  }

  eventBus.on('linting.completed', ({ issues }) => {
    lintIssues = issues || {};
    renderProblems();
  });

  // ------------------------------------------------------------------------------------------- actions

  async function payload() {
    const { xml } = await modeler.saveXML({ format: true });
    await decisions.flush();
    return { revision: state.revision, bpmn: xml, files: state.files };
  }

  // one request at a time: a deploy sent while a save is on its way would carry a revision about to be stale
  async function send(url) {
    const buttons = [...document.querySelectorAll('[data-modeler-action]')];
    buttons.forEach((b) => { b.disabled = true; });
    root.dataset.busy = 'true';
    try {
      return await postJSON(url, await payload(), config.csrf);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      root.dataset.busy = 'false';
    }
  }

  function showServerProblems(problems) {
    state.serverProblems = problems || [];
    renderProblems();
    document.getElementById('problems-panel').open = true;
  }

  bind('save', async (button) => {
    const { ok, body } = await send(config.urls.save);
    if (ok) {
      state.revision = body.revision;
      state.dirty = false;
      root.dataset.dirty = 'false';
      say(body.message, 'success');
    } else {
      say(body.message || t('The draft was not saved.'), 'error');
    }
  });

  bind('validate', async (button) => {
    const { ok, body } = await send(config.urls.validate);
    if (!ok) {
      say(body.message || t('Validation failed.'), 'error');
      return;
    }
    showServerProblems(body.problems);
    say(body.message, body.problems.length ? 'error' : 'success');
  });

  // deploy and test run save the draft first and then go to their page; a refusal keeps the saved revision
  async function saveAndGo(url, failed) {
    const { ok, status: code, body } = await send(url);
    if (ok) {
      state.dirty = false;
      window.location.assign(body.redirect);
      return;
    }
    if (code === 422) {
      showServerProblems(body.problems);
    }
    if (body.revision !== undefined && body.revision !== null) {
      state.revision = body.revision;
    }
    say(body.message || failed, 'error');
  }

  bind('deploy', () => saveAndGo(config.urls.deploy, t('Not deployed.')));
  bind('test-run', () => saveAndGo(config.urls.testRun, t('The test run did not start.')));

  bind('download', async () => {
    const { xml } = await modeler.saveXML({ format: true });
    const link = el('a', { href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })), download: `${config.processKey}.bpmn` });
    document.body.append(link);
    link.click();
    link.remove();
  });

  function bind(action, handler) {
    const button = document.querySelector(`[data-modeler-action="${action}"]`);
    if (button) {
      button.addEventListener('click', () => handler(button).catch((err) => say(String(err), 'error')));
    }
  }

  // tabs: diagram | decision tables | forms
  document.querySelectorAll('[data-tab]').forEach((tab) => tab.addEventListener('click', () => showTab(tab.dataset.tab)));

  function showTab(name) {
    document.querySelectorAll('[data-tab]').forEach((tab) => tab.setAttribute('aria-selected', String(tab.dataset.tab === name)));
    document.querySelectorAll('[data-panel]').forEach((panel) => { panel.hidden = panel.dataset.panel !== name; });
    if (name === 'decisions') {
      decisions.show();
    }
  }

  // ----------------------------------------------------------------------------- properties panel events

  eventBus.on('platform.form.new', ({ element }) => {
    forms.create((schemaName) => {
      const injector = modeler.get('injector');
      setSpiffProperty(injector, element, 'formJsonSchemaFilename', schemaName);
      setSpiffProperty(injector, element, 'formUiSchemaFilename', schemaName.replace(/\.json$/, '.ui.json'));
      refreshLists().then(() => forms.open(schemaName));
    });
  });

  eventBus.on('platform.form.edit', ({ name }) => forms.open(name));

  eventBus.on('platform.markdown.preview', async ({ text }) => {
    const { body } = await postJSON(config.urls.markdown, { text }, config.csrf);
    const preview = el('div', { class: 'markdown-preview instructions' });
    preview.innerHTML = body.html || '';  // rendered by the server's Markdown renderer (no raw HTML passes)
    dialog({ title: t('Instructions as the user sees them'), body: preview, texts: t });
  });

  eventBus.on('platform.code.edit', ({ element, kind }) => {
    const bo = getBusinessObject(element);
    const value = kind === 'script' ? bo.script : (bo.conditionExpression && bo.conditionExpression.body);
    openCodeEditor({
      title: kind === 'script' ? t('Script (Python)') : t('Condition (Python expression)'), value, texts: t,
      onSave: (code) => {
        if (kind === 'script') {
          modeler.get('modeling').updateProperties(element, { scriptFormat: 'python', script: code || undefined });
        } else {
          setCondition(modeler.get('injector'), element, code.trim());
        }
      }
    });
  });

  eventBus.on('platform.decision.edit', ({ id }) => {
    showTab('decisions');
    decisions.openDecision(id);
  });

  eventBus.on('platform.decision.new', ({ element }) => {
    decisions.create((decisionId) => {
      setBodyExtension(modeler.get('injector'), element, 'spiffworkflow:CalledDecisionId', decisionId);
      refreshLists();
      showTab('decisions');
      decisions.openDecision(decisionId);
    });
  });

  modeler.on('commandStack.changed', markDirty);
  window.addEventListener('beforeunload', (event) => {
    if (state.dirty) {
      event.preventDefault();
    }
  });

  modeler.importXML(config.draft.bpmn).then(({ warnings }) => {
    modeler.get('canvas').zoom('fit-viewport');
    if (warnings.length) {
      say(t('The file was opened with %(n)s warnings.', { n: warnings.length }), 'info');
    }
    root.dataset.ready = 'true';
    state.dirty = false;
    root.dataset.dirty = 'false';
    if (config.problems && config.problems.length) {
      showServerProblems(config.problems);
    }
    return refreshLists();
  }).catch((err) => {
    say(t('The diagram could not be opened: %(error)s', { error: err.message }), 'error');
    root.dataset.ready = 'error';
  });

  // for the browser tests and for the curious: the live objects
  window.platformModeler = { modeler, decisions, forms, state };
}

start();
