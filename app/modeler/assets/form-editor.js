// The form editor: add, order and configure the fields of a form file pair visually, with a live preview
// rendered by the server with the renderer the inbox uses, and a JSON view for experts.
import { dialog, el, postJSON } from './dom.js';
import { CHOICE_TYPES, FIELD_TYPES, Unsupported, buildForm, isValidKey, newField, parseForm } from './lib/form-model.js';

const NAME = /^[a-z][a-z0-9_]{1,60}$/;

function pretty(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export class FormFiles {
  constructor({ files, config, t, onChange }) {
    this.files = files;
    this.config = config;
    this.t = t;
    this.onChange = onChange;
  }

  // forms of the draft, then the library's (forms/) that the draft has no copy of
  list() {
    const own = Object.keys(this.files).filter((n) => n.endsWith('.json') && !n.endsWith('.ui.json')).sort()
      .map((schema) => ({ schema, ui: this.files[schema.replace(/\.json$/, '.ui.json')] !== undefined ? schema.replace(/\.json$/, '.ui.json') : null,
        title: titleOf(this.files[schema]), draft: true }));
    const library = (this.config.libraryForms || []).filter((f) => !this.files[f.schema]).map((f) => ({ ...f, draft: false }));
    return [...own, ...library];
  }

  create(done) {
    const t = this.t;
    const title = el('input', { name: 'form_title', required: true, placeholder: t('e.g. 实习申请') });
    const name = el('input', { name: 'form_name', required: true, pattern: NAME.source, placeholder: 'internship_application' });
    const error = el('p', { class: 'field-error', role: 'alert' });
    dialog({
      title: t('New form'), texts: t,
      body: el('div', { class: 'stack' }, el('label', {}, t('Title'), title),
        el('label', {}, t('File name (lower-case letters, digits, _)'), name), error),
      actions: [{ label: t('Create'), primary: true, run: () => {
        const base = name.value.trim();
        if (!NAME.test(base) || !title.value.trim()) {
          error.textContent = t('Give a title and a file name made of lower-case letters, digits and _.');
          return false;
        }
        const schemaName = `${base}.json`;
        if (this.list().some((f) => f.schema === schemaName)) {
          error.textContent = t('A form with this file name exists already.');
          return false;
        }
        this.files[schemaName] = pretty({ title: title.value.trim(), type: 'object', properties: {} });
        this.files[`${base}.ui.json`] = pretty({ 'ui:order': [] });
        this.onChange();
        done(schemaName);
        return true;
      } }]
    });
  }

  async content(schemaName) {
    const uiName = schemaName.replace(/\.json$/, '.ui.json');
    if (this.files[schemaName] !== undefined) {
      return { schema: JSON.parse(this.files[schemaName]), ui: this.files[uiName] !== undefined ? JSON.parse(this.files[uiName]) : {} };
    }
    const response = await fetch(`${this.config.urls.libraryForm}?name=${encodeURIComponent(schemaName)}`, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error(this.t('The form %(name)s could not be read.', { name: schemaName }));
    }
    return response.json();
  }

  async open(schemaName) {
    const { schema, ui } = await this.content(schemaName);
    new FormEditor({
      name: schemaName, schema, ui, config: this.config, t: this.t,
      onApply: (result) => {
        this.files[schemaName] = pretty(result.schema);
        this.files[schemaName.replace(/\.json$/, '.ui.json')] = pretty(result.ui);
        this.onChange();
      }
    }).show();
  }

  renderList(list) {
    if (!list) {
      return;
    }
    list.replaceChildren(...this.list().map((f) => el('li', {},
      el('button', { type: 'button', class: 'link', dataset: { formFile: f.schema }, onClick: () => this.open(f.schema) },
        f.title ? `${f.title} (${f.schema})` : f.schema),
      ' ', el('span', { class: 'muted' }, f.draft ? this.t('in this draft') : this.t('library (forms/): editing makes a copy in this draft')))));
  }
}

function titleOf(text) {
  try {
    return JSON.parse(text).title || '';
  } catch (err) {
    return '';
  }
}

class FormEditor {
  constructor({ name, schema, ui, config, t, onApply }) {
    this.name = name;
    this.config = config;
    this.t = t;
    this.onApply = onApply;
    this.selected = 0;
    this.previewTimer = null;
    this.previewSeq = 0;
    this.setSource(schema, ui);
  }

  setSource(schema, ui) {
    this.source = { schema, ui };
    try {
      this.model = parseForm(schema, ui);
      this.unsupported = null;
    } catch (err) {
      if (!(err instanceof Unsupported)) {
        throw err;
      }
      this.model = null;
      this.unsupported = err.message;
    }
  }

  current() {
    return this.model ? buildForm(this.model) : { ...this.source, problems: [] };
  }

  show() {
    const t = this.t;
    this.list = el('ol', { class: 'form-fields' });
    this.settings = el('div', { class: 'form-field-settings' });
    this.preview = el('div', { class: 'form-preview', dataset: { state: 'idle' } });
    this.schemaText = el('textarea', { class: 'json', name: 'schema_json', rows: 18, spellcheck: 'false' });
    this.uiText = el('textarea', { class: 'json', name: 'ui_json', rows: 18, spellcheck: 'false' });
    this.jsonError = el('p', { class: 'field-error', role: 'alert' });
    this.titleInput = el('input', { name: 'form_title', onInput: (e) => { this.model.title = e.target.value; this.changed(); } });
    this.titleEnInput = el('input', { name: 'form_title_en', onInput: (e) => { this.model.titleEn = e.target.value; this.changed(); } });
    const addType = el('select', { name: 'new_field_type' }, ...FIELD_TYPES.map((type) => el('option', { value: type }, t(`type:${type}`))));
    this.visual = el('section', { class: 'form-visual' },
      el('div', { class: 'form-title-row' }, el('label', {}, t('Form title'), this.titleInput), el('label', {}, t('Form title (English)'), this.titleEnInput)),
      el('div', { class: 'form-columns' },
        el('div', { class: 'form-list-column' }, el('h3', {}, t('Fields')), this.list,
          el('div', { class: 'inline-form' }, addType, el('button', { type: 'button', dataset: { action: 'add-field' }, onClick: () => this.addField(addType.value) }, t('Add field')))),
        el('div', { class: 'form-settings-column' }, el('h3', {}, t('Field settings')), this.settings),
        el('div', { class: 'form-preview-column' }, el('h3', {}, t('Preview')), this.preview)));
    this.json = el('section', { class: 'form-json', hidden: true },
      el('div', { class: 'form-columns' }, el('label', {}, t('JSON Schema'), this.schemaText), el('label', {}, t('UI schema'), this.uiText)),
      this.jsonError,
      el('button', { type: 'button', dataset: { action: 'apply-json' }, onClick: () => this.applyJson() }, t('Use this JSON')));
    const tabs = el('div', { class: 'tabs', role: 'tablist' },
      el('button', { type: 'button', role: 'tab', dataset: { formTab: 'visual' }, onClick: () => this.showTab('visual') }, t('Visual')),
      el('button', { type: 'button', role: 'tab', dataset: { formTab: 'json' }, onClick: () => this.showTab('json') }, t('JSON')));
    this.unsupportedNote = el('p', { class: 'flash info', hidden: true }, t('This form uses JSON Schema features the visual editor does not show (nested groups, lists of rows, other conditions): edit it in the JSON view.'));
    this.dialog = dialog({
      title: `${t('Form')}: ${this.name}`, wide: true, texts: t,
      body: el('div', { class: 'form-editor', dataset: { form: this.name } }, tabs, this.unsupportedNote, this.visual, this.json),
      actions: [{ label: t('Apply to draft'), primary: true, run: () => this.apply() }]
    });
    this.render();
    this.showTab(this.model ? 'visual' : 'json');
  }

  showTab(name) {
    if (name === 'json') {
      const { schema, ui } = this.current();
      this.schemaText.value = pretty(schema);
      this.uiText.value = pretty(ui);
    }
    this.visual.hidden = name !== 'visual' || !this.model;
    this.json.hidden = name !== 'json';
    this.unsupportedNote.hidden = !!this.model;
    this.dialog.node.querySelectorAll('[data-form-tab]').forEach((tab) => tab.setAttribute('aria-selected', String(tab.dataset.formTab === name)));
  }

  applyJson() {
    let schema;
    let ui;
    try {
      schema = JSON.parse(this.schemaText.value);
      ui = this.uiText.value.trim() ? JSON.parse(this.uiText.value) : {};
    } catch (err) {
      this.jsonError.textContent = `${this.t('Not valid JSON')}: ${err.message}`;
      return;
    }
    this.jsonError.textContent = '';
    this.setSource(schema, ui);
    this.selected = 0;
    this.render();
    this.showTab(this.model ? 'visual' : 'json');
  }

  apply() {
    if (!this.json.hidden) {
      this.applyJson();
      if (this.jsonError.textContent) {
        return false;
      }
    }
    const { schema, ui, problems } = this.current();
    if (problems.length) {
      this.render();
      return false;
    }
    this.onApply({ schema, ui });
    return true;
  }

  addField(type) {
    const base = type.replace(/[^a-z]/g, '');
    let n = 1;
    while (this.model.fields.some((f) => f.key === `${base}_${n}`)) {
      n += 1;
    }
    this.model.fields.push(newField(type, `${base}_${n}`, ''));
    this.selected = this.model.fields.length - 1;
    this.changed();
    this.renderSettings();
  }

  move(index, delta) {
    const fields = this.model.fields;
    const to = index + delta;
    if (to < 0 || to >= fields.length) {
      return;
    }
    [fields[index], fields[to]] = [fields[to], fields[index]];
    this.selected = to;
    this.changed();
    this.renderSettings();
  }

  remove(index) {
    const [gone] = this.model.fields.splice(index, 1);
    this.model.fields.forEach((f) => {
      if (f.condition && f.condition.field === gone.key) {
        f.condition = null;
      }
      if (f.requiredWhen && f.requiredWhen.field === gone.key) {
        f.requiredWhen = null;
      }
    });
    this.selected = Math.max(0, Math.min(this.selected, this.model.fields.length - 1));
    this.changed();
    this.renderSettings();
  }

  changed() {
    this.renderList();
    this.schedulePreview();
  }

  render() {
    if (!this.model) {
      this.schedulePreview();
      return;
    }
    this.titleInput.value = this.model.title;
    this.titleEnInput.value = this.model.titleEn;
    this.renderList();
    this.renderSettings();
    this.schedulePreview();
  }

  renderList() {
    if (!this.model) {
      return;
    }
    const t = this.t;
    const problems = buildForm(this.model).problems;
    this.list.replaceChildren(...this.model.fields.map((f, i) => {
      const mine = problems.filter((p) => p.index === i);
      return el('li', { class: `${i === this.selected ? 'selected' : ''} ${mine.length ? 'has-problem' : ''}`, dataset: { field: f.key } },
        el('button', { type: 'button', class: 'link field-pick', onClick: () => { this.selected = i; this.renderList(); this.renderSettings(); } },
          f.label || f.key, ' ', el('span', { class: 'muted' }, `${f.key} · ${t(`type:${f.type}`)}${f.required ? ' · *' : ''}${f.condition ? ' · ⤷' : ''}`)),
        el('span', { class: 'field-buttons' },
          el('button', { type: 'button', title: t('Move up'), 'aria-label': t('Move up'), dataset: { action: 'up' }, onClick: () => this.move(i, -1) }, '↑'),
          el('button', { type: 'button', title: t('Move down'), 'aria-label': t('Move down'), dataset: { action: 'down' }, onClick: () => this.move(i, 1) }, '↓'),
          el('button', { type: 'button', title: t('Remove'), 'aria-label': t('Remove'), dataset: { action: 'remove' }, onClick: () => this.remove(i) }, '✕')),
        ...mine.map((p) => el('p', { class: 'field-error' }, t(`problem:${p.code}`))));
    }));
    if (!this.model.fields.length) {
      this.list.append(el('li', { class: 'muted' }, t('No fields yet: add one below.')));
    }
  }

  renderSettings() {
    const t = this.t;
    const f = this.model.fields[this.selected];
    if (!f) {
      this.settings.replaceChildren(el('p', { class: 'muted' }, t('Choose a field.')));
      return;
    }
    const text = (label, name, value, set, attrs = {}) => el('label', {}, t(label),
      el('input', { name, value: value || '', ...attrs, onInput: (e) => { set(e.target.value); this.changed(); } }));
    const controllers = this.model.fields.filter((x) => x !== f && !x.condition && (CHOICE_TYPES.includes(x.type) && x.type !== 'checkboxes' || x.type === 'boolean'));
    const conditionValues = (key) => {
      const c = this.model.fields.find((x) => x.key === key);
      if (!c) {
        return [];
      }
      return c.type === 'boolean' ? [{ value: true, label: t('Yes') }, { value: false, label: t('No') }] : c.options.map((o) => ({ value: o.value, label: o.label || o.value }));
    };
    const conditionRow = (label, name, current, set) => {
      const fieldSelect = el('select', { name: `${name}_field` }, el('option', { value: '' }, t('(always)')),
        ...controllers.map((c) => el('option', { value: c.key, selected: current && current.field === c.key }, c.label || c.key)));
      const valueSelect = el('select', { name: `${name}_value`, hidden: !current },
        ...(current ? conditionValues(current.field) : []).map((o) => el('option', { value: JSON.stringify(o.value), selected: current && current.value === o.value }, o.label)));
      fieldSelect.addEventListener('change', () => {
        const values = conditionValues(fieldSelect.value);
        set(fieldSelect.value ? { field: fieldSelect.value, value: values.length ? values[0].value : '' } : null);
        this.changed();
        this.renderSettings();
      });
      valueSelect.addEventListener('change', () => {
        set({ field: fieldSelect.value, value: JSON.parse(valueSelect.value) });
        this.changed();
      });
      return el('fieldset', { class: 'condition' }, el('legend', {}, t(label)), fieldSelect, t('is'), valueSelect);
    };
    const typeSelect = el('select', { name: 'field_type' }, ...FIELD_TYPES.map((type) => el('option', { value: type, selected: type === f.type }, t(`type:${type}`))));
    typeSelect.addEventListener('change', () => {
      f.type = typeSelect.value;
      if (CHOICE_TYPES.includes(f.type) && !f.options.length) {
        f.options = newField(f.type, f.key).options;
      }
      this.changed();
      this.renderSettings();
    });
    const options = CHOICE_TYPES.includes(f.type) ? el('fieldset', { class: 'options' }, el('legend', {}, t('Options')),
      el('table', { class: 'list compact' },
        el('thead', {}, el('tr', {}, el('th', {}, t('Stored value')), el('th', {}, t('Label')), el('th', {}, t('Label (English)')), el('th', {}))),
        el('tbody', {}, ...f.options.map((o, i) => el('tr', {},
          el('td', {}, el('input', { name: `option_value_${i}`, value: o.value, onInput: (e) => { o.value = e.target.value; this.changed(); } })),
          el('td', {}, el('input', { name: `option_label_${i}`, value: o.label, onInput: (e) => { o.label = e.target.value; this.changed(); } })),
          el('td', {}, el('input', { name: `option_label_en_${i}`, value: o.labelEn, onInput: (e) => { o.labelEn = e.target.value; this.changed(); } })),
          el('td', {}, el('button', { type: 'button', 'aria-label': t('Remove'), onClick: () => { f.options.splice(i, 1); this.changed(); this.renderSettings(); } }, '✕')))))),
      el('button', { type: 'button', dataset: { action: 'add-option' }, onClick: () => { f.options.push({ value: `option_${f.options.length + 1}`, label: '', labelEn: '' }); this.changed(); this.renderSettings(); } }, t('Add option'))) : null;
    this.settings.replaceChildren(
      text('Label', 'field_label', f.label, (v) => { f.label = v; }),
      text('Label (English)', 'field_label_en', f.labelEn, (v) => { f.labelEn = v; }),
      text('Key (task data name)', 'field_key', f.key, (v) => {
        const old = f.key;
        f.key = v.trim();
        if (isValidKey(f.key)) {
          this.model.fields.forEach((x) => {
            if (x.condition && x.condition.field === old) { x.condition.field = f.key; }
            if (x.requiredWhen && x.requiredWhen.field === old) { x.requiredWhen.field = f.key; }
          });
        }
      }, { pattern: '[A-Za-z_][A-Za-z0-9_]*' }),
      el('label', {}, t('Type'), typeSelect),
      el('label', { class: 'checkbox' }, el('input', { type: 'checkbox', name: 'field_required', checked: f.required,
        onChange: (e) => { f.required = e.target.checked; this.changed(); this.renderSettings(); } }), t('Required')),
      f.type === 'datetime' ? el('label', { class: 'checkbox' }, el('input', { type: 'checkbox', name: 'field_future_only', checked: f.futureOnly,
        onChange: (e) => { f.futureOnly = e.target.checked; this.changed(); } }), t('Only a time in the future')) : null,
      options,
      text('Help', 'field_help', f.help, (v) => { f.help = v; }),
      text('Help (English)', 'field_help_en', f.helpEn, (v) => { f.helpEn = v; }),
      conditionRow('Shown only when', 'field_condition', f.condition, (c) => { f.condition = c; }),
      f.required || f.condition ? null : conditionRow('Required only when', 'field_required_when', f.requiredWhen, (c) => { f.requiredWhen = c; }));
  }

  schedulePreview() {
    clearTimeout(this.previewTimer);
    this.preview.dataset.state = 'pending';
    this.previewTimer = setTimeout(() => this.renderPreview(), 300);
  }

  async renderPreview() {
    const seq = ++this.previewSeq;
    const { schema, ui } = this.current();
    const { ok, body } = await postJSON(this.config.urls.formPreview, { schema, ui, name: this.name }, this.config.csrf);
    if (seq !== this.previewSeq) {
      return;
    }
    if (ok) {
      this.preview.innerHTML = body.html;  // the server's own form template, values escaped there
      const form = this.preview.querySelector('[data-bpm-form]');
      if (form && window.bpmForms) {
        window.bpmForms.enhance(form);  // as on the task page: conditional fields shown only when they apply
      }
    } else {
      this.preview.replaceChildren(el('p', { class: 'field-error' }, body.message || this.t('The preview failed.')));
    }
    this.preview.dataset.state = ok ? 'ready' : 'error';
  }
}
