// The visual form editor's model of a form file pair (JSON Schema + UI schema, react-jsonschema-form style as
// the platform renders it) and back. A field keeps every schema/UI key the editor does not manage, so a round
// trip through the editor changes only what the owner changed.
//
// Texts are written in Chinese; their English is kept in the UI schema's own catalogue,
// "ui:locales": {"en": {"<Chinese text>": "<English>"}}, which the renderer reads before the Babel catalogues.
//
// Conditions follow the renderer's convention: a field shown only while another field has a value is defined
// in a branch  {"if": {"properties": {"<field>": {"const": <value>}}}, "then": {"properties": {...}}}  of the
// form's "allOf".

export const FIELD_TYPES = ['text', 'textarea', 'number', 'integer', 'date', 'datetime', 'email', 'phone', 'select',
  'radio', 'checkboxes', 'boolean', 'file'];
export const CHOICE_TYPES = ['select', 'radio', 'checkboxes'];
const KEY = /^(?!__)(?!\d+$)[A-Za-z_][A-Za-z0-9_]*$/;

export class Unsupported extends Error {}

export function isValidKey(key) {
  return KEY.test(key || '');
}

function typeOf(schema, ui) {
  const widget = ui['ui:widget'];
  if (schema.type === 'string' && (schema.format === 'data-url' || schema['x-file'] === true)) {
    return 'file';
  }
  if (schema.type === 'array') {
    if (schema.items && Array.isArray(schema.items.enum)) {
      return 'checkboxes';
    }
    throw new Unsupported('list');
  }
  if (schema.type === 'object') {
    throw new Unsupported('group');
  }
  if (Array.isArray(schema.enum) && schema.type !== 'boolean') {
    return widget === 'radio' ? 'radio' : 'select';
  }
  if (schema.type === 'boolean') {
    return 'boolean';
  }
  if (schema.type === 'integer') {
    return 'integer';
  }
  if (schema.type === 'number') {
    return 'number';
  }
  if (schema.type === 'string' || schema.type === undefined) {
    if (schema.format === 'date' || widget === 'date') {
      return 'date';
    }
    if (schema.format === 'date-time' || schema.format === 'future-date-time' || widget === 'datetime' || widget === 'datetime-local') {
      return 'datetime';
    }
    if (schema.format === 'email' || widget === 'email') {
      return 'email';
    }
    if (schema.format === 'phone' || widget === 'phone' || widget === 'tel') {
      return 'phone';
    }
    if (widget === 'textarea') {
      return 'textarea';
    }
    return 'text';
  }
  throw new Unsupported(String(schema.type));
}

function branchCondition(branch) {
  const test = branch && branch.if;
  const props = test && test.properties;
  if (!props || Object.keys(test).some((k) => !['properties', 'required'].includes(k)) || Object.keys(props).length !== 1) {
    return null;
  }
  const [field] = Object.keys(props);
  const rule = props[field];
  if (!rule || Object.keys(rule).length !== 1 || !('const' in rule)) {
    return null;
  }
  return { field, value: rule.const };
}

function field(key, schema, ui, required, locales, condition) {
  const type = typeOf(schema, ui);
  const en = (text) => (text && locales[text]) || '';
  const choices = type === 'checkboxes' ? schema.items : schema;
  const options = CHOICE_TYPES.includes(type)
    ? (choices.enum || []).map((value, i) => {
      const names = ui['ui:enumNames'] || choices.enumNames || [];
      return { value: String(value), label: names[i] || '', labelEn: en(names[i]) };
    })
    : [];
  return {
    key, type, required,
    futureOnly: schema.format === 'future-date-time',
    label: schema.title || '', labelEn: en(schema.title),
    help: ui['ui:help'] || '', helpEn: en(ui['ui:help']),
    options,
    condition,
    requiredWhen: null,
    parsedType: type,
    schema: { ...schema }, ui: { ...ui }
  };
}

// {schema, ui} -> {title, titleEn, fields, schemaRest, uiRest}; throws Unsupported for what the visual editor
// cannot show (nested groups, lists of rows, other kinds of conditions): such forms are edited as JSON.
export function parseForm(schema, ui = {}) {
  if (!schema || schema.type !== 'object' || typeof schema.properties !== 'object') {
    throw new Unsupported('not an object form');
  }
  const locales = (ui['ui:locales'] && ui['ui:locales'].en) || {};
  const required = new Set(schema.required || []);
  const branches = [...(schema.allOf || [])];
  if (schema.if) {
    branches.push({ if: schema.if, then: schema.then, else: schema.else });
  }
  const conditional = [];
  const requiredWhen = {};
  for (const branch of branches) {
    const condition = branchCondition(branch);
    const then = branch.then || {};
    if (!condition || branch.else || Object.keys(then).some((k) => !['properties', 'required'].includes(k))) {
      throw new Unsupported('condition');
    }
    const branchRequired = new Set(then.required || []);
    for (const [key, sub] of Object.entries(then.properties || {})) {
      conditional.push(field(key, sub, ui[key] || {}, branchRequired.has(key), locales, condition));
    }
    for (const key of branchRequired) {
      if (!(then.properties || {})[key]) {
        if (!schema.properties[key] || requiredWhen[key]) {
          throw new Unsupported('conditional requirement');
        }
        requiredWhen[key] = condition;
      }
    }
  }
  const order = ui['ui:order'] || [];
  const keys = Object.keys(schema.properties);
  keys.sort((a, b) => rank(order, a) - rank(order, b));
  const fields = keys.map((key) => ({
    ...field(key, schema.properties[key], ui[key] || {}, required.has(key), locales, null),
    requiredWhen: requiredWhen[key] || null
  }));
  // conditional fields right after their controlling field
  for (const f of conditional) {
    let at = fields.findIndex((x) => x.key === f.condition.field);
    while (at >= 0 && fields[at + 1] && fields[at + 1].condition && fields[at + 1].condition.field === f.condition.field) {
      at += 1;
    }
    fields.splice(at >= 0 ? at + 1 : fields.length, 0, f);
  }
  const schemaRest = { ...schema };
  ['properties', 'required', 'allOf', 'if', 'then', 'else', 'title'].forEach((k) => delete schemaRest[k]);
  const uiRest = {};
  Object.entries(ui).forEach(([k, v]) => {
    if (k.startsWith('ui:') && !['ui:order', 'ui:locales'].includes(k)) {
      uiRest[k] = v;
    }
  });
  const otherLocales = { ...(ui['ui:locales'] || {}) };
  delete otherLocales.en;
  return { title: schema.title || '', titleEn: (schema.title && locales[schema.title]) || '', fields, schemaRest, uiRest, otherLocales };
}

function rank(order, key) {
  const at = order.indexOf(key);
  if (at >= 0) {
    return at;
  }
  const star = order.indexOf('*');
  return star >= 0 ? star : order.length;
}

// options shown as their stored values need no names (a form written without enumNames stays so)
function namesNeeded(names, values, before) {
  return before !== undefined || names.some((name, i) => name !== values[i]);
}

const EDITOR_FORMATS = ['date', 'date-time', 'future-date-time', 'email', 'phone', 'data-url'];

function fieldSchema(f) {
  const schema = { ...f.schema };
  const ui = { ...f.ui };
  ['type', 'enum', 'enumNames', 'items', 'uniqueItems', 'title', 'x-file'].forEach((k) => delete schema[k]);
  // a format the editor does not set (uri, ...) stays while the field keeps its type
  if (f.type !== f.parsedType || EDITOR_FORMATS.includes(schema.format)) {
    delete schema.format;
  }
  // a widget the editor does not set (updown, hidden, ...) stays while the field keeps its type
  ['ui:help', 'ui:enumNames', ...(f.type === f.parsedType ? [] : ['ui:widget'])].forEach((k) => delete ui[k]);
  if (f.label) {
    schema.title = f.label;
  }
  const values = f.options.map((o) => o.value);
  const names = f.options.map((o) => o.label || o.value);
  switch (f.type) {
    case 'text': schema.type = 'string'; break;
    case 'textarea': schema.type = 'string'; ui['ui:widget'] = 'textarea'; break;
    case 'number': schema.type = 'number'; break;
    case 'integer': schema.type = 'integer'; break;
    case 'date': schema.type = 'string'; schema.format = 'date'; break;
    case 'datetime': schema.type = 'string'; schema.format = f.futureOnly ? 'future-date-time' : 'date-time'; break;
    case 'email': schema.type = 'string'; schema.format = 'email'; break;
    case 'phone':
      schema.type = 'string';
      if (['phone', 'tel'].includes(f.ui['ui:widget'])) {
        ui['ui:widget'] = f.ui['ui:widget'];
      }
      if (f.schema.format === 'phone' || !ui['ui:widget']) {
        schema.format = 'phone';
      }
      break;
    case 'boolean': schema.type = 'boolean'; break;
    case 'file': schema.type = 'string'; schema.format = 'data-url'; break;
    case 'select': case 'radio':
      schema.type = 'string'; schema.enum = values;
      if (namesNeeded(names, values, f.schema.enumNames)) {
        schema.enumNames = names;
      }
      if (f.type === 'radio') {
        ui['ui:widget'] = 'radio';
      }
      break;
    case 'checkboxes':
      schema.type = 'array'; schema.uniqueItems = true; schema.items = { type: 'string', enum: values };
      if (namesNeeded(names, values, (f.schema.items || {}).enumNames)) {
        schema.items.enumNames = names;
      }
      ui['ui:widget'] = 'checkboxes';
      break;
    default: throw new Unsupported(f.type);
  }
  if (!['text', 'textarea', 'email', 'phone'].includes(f.type)) {
    ['minLength', 'maxLength', 'pattern'].forEach((k) => delete schema[k]);
  }
  if (!['number', 'integer'].includes(f.type)) {
    ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].forEach((k) => delete schema[k]);
  }
  if (f.type !== 'file') {
    ['accept', 'maxSize'].forEach((k) => delete schema[k]);
  }
  if (f.help) {
    ui['ui:help'] = f.help;
  }
  return { schema, ui };
}

// The model -> {schema, ui}. Problems (duplicate or bad keys, a condition on a missing field, options without
// values) are returned, not thrown, so the editor can show them next to the fields.
export function buildForm(model) {
  const problems = [];
  const seen = new Set();
  const schema = { title: model.title || undefined, ...model.schemaRest, type: 'object', properties: {} };
  if (!schema.title) {
    delete schema.title;
  }
  const ui = { ...model.uiRest, 'ui:order': [] };
  const required = [];
  const branches = new Map();
  const en = { ...(model.titleEn && model.title ? { [model.title]: model.titleEn } : {}) };
  model.fields.forEach((f, index) => {
    if (!isValidKey(f.key)) {
      problems.push({ index, code: 'key' });
    } else if (seen.has(f.key)) {
      problems.push({ index, code: 'duplicate' });
    }
    seen.add(f.key);
    if (CHOICE_TYPES.includes(f.type)) {
      if (!f.options.length || f.options.some((o) => !o.value)) {
        problems.push({ index, code: 'options' });
      }
      if (new Set(f.options.map((o) => o.value)).size !== f.options.length) {
        problems.push({ index, code: 'option-duplicate' });
      }
    }
    const built = fieldSchema(f);
    if (f.labelEn && f.label) {
      en[f.label] = f.labelEn;
    }
    if (f.helpEn && f.help) {
      en[f.help] = f.helpEn;
    }
    f.options.forEach((o) => { if (o.labelEn && o.label) { en[o.label] = o.labelEn; } });
    if (Object.keys(built.ui).length) {
      ui[f.key] = built.ui;
    }
    const branchOf = (condition) => {
      const id = JSON.stringify([condition.field, condition.value]);
      if (!branches.has(id)) {
        // "required" in the test: without it an answer left empty would count as matching
        branches.set(id, { if: { properties: { [condition.field]: { const: condition.value } }, required: [condition.field] },
          then: { properties: {} } });
      }
      return branches.get(id);
    };
    if (f.requiredWhen && f.requiredWhen.field && !f.required && !(f.condition && f.condition.field)) {
      const branch = branchOf(f.requiredWhen);
      branch.then.required = [...(branch.then.required || []), f.key];
    }
    if (f.condition && f.condition.field) {
      const controller = model.fields.find((x) => x.key === f.condition.field && !x.condition);
      if (!controller || controller === f) {
        problems.push({ index, code: 'condition' });
      }
      const branch = branchOf(f.condition);
      branch.then.properties[f.key] = built.schema;
      if (f.required) {
        branch.then.required = [...(branch.then.required || []), f.key];
      }
    } else {
      schema.properties[f.key] = built.schema;
      ui['ui:order'].push(f.key);
      if (f.required) {
        required.push(f.key);
      }
    }
  });
  if (required.length) {
    schema.required = required;
  }
  if (branches.size) {
    schema.allOf = [...branches.values()].map((b) => (Object.keys(b.then.properties).length ? b
      : { if: b.if, then: { required: b.then.required } }));
  }
  const locales = { ...(model.otherLocales || {}) };
  if (Object.keys(en).length) {
    locales.en = en;
  }
  if (Object.keys(locales).length) {
    ui['ui:locales'] = locales;
  }
  return { schema, ui, problems };
}

export function newField(type, key, label = '') {
  return {
    key, type, required: false, futureOnly: false, label, labelEn: '', help: '', helpEn: '', condition: null, requiredWhen: null,
    options: CHOICE_TYPES.includes(type) ? [{ value: 'option_1', label: '', labelEn: '' }, { value: 'option_2', label: '', labelEn: '' }] : [],
    schema: {}, ui: {}
  };
}
