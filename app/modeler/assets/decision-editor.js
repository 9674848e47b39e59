// The process's DMN files (decision tables for business rule tasks) in dmn-js. The files live in the draft
// beside the BPMN; the one on screen is written back into the draft before every save.
import DmnModeler from 'dmn-js/lib/Modeler';
import { dialog, el } from './dom.js';

const DMN_NS = 'https://www.omg.org/spec/DMN/20191111/MODEL/';
const ID = /^[A-Za-z_][\w-]*$/;

export function decisionTemplate(id, name) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="${DMN_NS}" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
    xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="definitions_${id}" name="${esc(name)}"
    namespace="http://bpmn.io/schema/dmn">
  <decision id="${id}" name="${esc(name)}">
    <decisionTable id="table_${id}" hitPolicy="UNIQUE">
      <input id="input_${id}" label="input">
        <inputExpression id="input_expression_${id}" typeRef="string"><text>input</text></inputExpression>
      </input>
      <output id="output_${id}" label="result" name="result" typeRef="string"/>
      <rule id="rule_${id}">
        <inputEntry id="entry_${id}"><text></text></inputEntry>
        <outputEntry id="out_${id}"><text>""</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="diagram_${id}">
    <dmndi:DMNShape id="shape_${id}" dmnElementRef="${id}"><dc:Bounds height="80" width="180" x="160" y="100"/></dmndi:DMNShape>
  </dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>
`;
}

export function decisionsIn(xml) {
  const doc = new DOMParser().parseFromString(xml || '', 'application/xml');
  return [...doc.getElementsByTagNameNS('*', 'decision')].map((node) => ({ id: node.getAttribute('id'), name: node.getAttribute('name') }));
}

export class DecisionFiles {
  constructor({ container, files, t, onChange }) {
    this.container = container;
    this.files = files;
    this.t = t;
    this.onChange = onChange;
    this.current = null;
    this.modeler = null;
    this.loading = false;
  }

  names() {
    return Object.keys(this.files).filter((name) => name.endsWith('.dmn')).sort();
  }

  async decisionIds() {
    await this.flush();
    return this.names().flatMap((file) => decisionsIn(this.files[file]).map((d) => ({ ...d, file })));
  }

  ensureModeler() {
    if (!this.modeler) {
      this.modeler = new DmnModeler({ container: this.container, common: { keyboard: { bindTo: document } } });
      this.modeler.on('views.changed', () => { this.container.dataset.view = (this.modeler.getActiveView() || {}).type || ''; });
      // every view's command stack: a change marks the draft changed
      this.modeler.on('import.done', () => {
        const viewer = this.modeler.getActiveViewer();
        if (viewer) {
          viewer.on('commandStack.changed', () => { if (!this.loading) { this.onChange(); } });
        }
      });
    }
    return this.modeler;
  }

  async show() {
    if (!this.current && this.names().length) {
      await this.openFile(this.names()[0]);
    }
  }

  async openFile(name) {
    await this.flush();
    const modeler = this.ensureModeler();
    this.loading = true;
    try {
      await modeler.importXML(this.files[name]);
      this.current = name;
      this.container.dataset.file = name;
    } finally {
      this.loading = false;
    }
    this.renderList(document.getElementById('dmn-list'));
  }

  async openDecision(id) {
    const found = (await this.decisionIds()).find((d) => d.id === id);
    if (!found) {
      return;
    }
    if (this.current !== found.file) {
      await this.openFile(found.file);
    }
    const view = this.modeler.getViews().find((v) => v.element.id === id && v.type === 'decisionTable');
    if (view) {
      await this.modeler.open(view);
      this.container.dataset.decision = id;
    }
  }

  async flush() {
    if (this.modeler && this.current && !this.loading) {
      const { xml } = await this.modeler.saveXML({ format: true });
      if (xml !== this.files[this.current]) {
        this.files[this.current] = xml;
      }
    }
  }

  create(done) {
    const t = this.t;
    const name = el('input', { name: 'decision_name', required: true, placeholder: t('e.g. 审核路由') });
    const id = el('input', { name: 'decision_id', required: true, pattern: ID.source, placeholder: 'route_review' });
    const error = el('p', { class: 'field-error', role: 'alert' });
    dialog({
      title: t('New decision table'), texts: t,
      body: el('div', { class: 'stack' },
        el('label', {}, t('Name'), name), el('label', {}, t('Decision id (letters, digits, _)'), id), error),
      actions: [{ label: t('Create'), primary: true, run: () => {
        const key = id.value.trim();
        const file = `${key}.dmn`;
        if (!ID.test(key) || !name.value.trim()) {
          error.textContent = t('Give a name and an id made of letters, digits and _.');
          return false;
        }
        if (this.files[file] || this.names().some((f) => decisionsIn(this.files[f]).some((d) => d.id === key))) {
          error.textContent = t('A decision with this id exists already.');
          return false;
        }
        this.files[file] = decisionTemplate(key, name.value.trim());
        this.onChange();
        done(key);
        return true;
      } }]
    });
  }

  renderList(list) {
    if (!list) {
      return;
    }
    list.replaceChildren(...this.names().map((file) => el('li', { class: file === this.current ? 'current' : '' },
      el('button', { type: 'button', class: 'link', dataset: { dmnFile: file }, onClick: () => this.openFile(file) }, file),
      ' ', el('span', { class: 'muted' }, decisionsIn(this.files[file]).map((d) => d.name || d.id).join(', ')))));
    if (!this.names().length) {
      list.append(el('li', { class: 'muted' }, this.t('No decision tables yet: add one from a business rule task.')));
    }
  }
}
