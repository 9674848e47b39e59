// The form editor's model: every form in forms/ that it can show survives a round trip unchanged in meaning,
// and edits produce the schema shapes the renderer reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { buildForm, newField, parseForm, Unsupported } from '../../../app/modeler/assets/lib/form-model.js';

const FORMS = new URL('../../../forms/', import.meta.url);

function formFiles(dir = FORMS) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      found.push(...formFiles(new URL(`${entry.name}/`, dir)));
    } else if (entry.name.endsWith('.json') && !entry.name.endsWith('.ui.json')) {
      found.push(new URL(entry.name, dir));
    }
  }
  return found;
}

function load(url) {
  const schema = JSON.parse(readFileSync(url));
  let ui = {};
  try {
    ui = JSON.parse(readFileSync(new URL(url.href.replace(/\.json$/, '.ui.json'))));
  } catch (err) { /* no UI schema */ }
  return { schema, ui };
}

// what the renderer sees: properties (with branch fields), required, order, conditions
function meaning({ schema, ui }) {
  const norm = (s) => JSON.parse(JSON.stringify(s), (key, value) => {
    // the editor always says the controlling field must be answered for its condition to hold
    if (value && value.if && value.if.properties && !value.if.required) {
      return { ...value, if: { ...value.if, required: Object.keys(value.if.properties) } };
    }
    return value;
  });
  return norm({ properties: schema.properties, required: [...(schema.required || [])].sort(), allOf: schema.allOf || (schema.if ? [{ if: schema.if, then: schema.then }] : []), title: schema.title, order: (ui['ui:order'] || []).filter((k) => k in schema.properties) });
}

test('forms in forms/ round-trip through the editor model', () => {
  const files = formFiles();
  assert.ok(files.length > 10);
  let shown = 0;
  for (const url of files) {
    const form = load(url);
    let model;
    try {
      model = parseForm(form.schema, form.ui);
    } catch (err) {
      assert.ok(err instanceof Unsupported, `${url}: ${err}`);
      continue;
    }
    shown += 1;
    const built = buildForm(model);
    assert.deepEqual(built.problems, [], url.href);
    const before = meaning(form);
    const after = meaning(built);
    assert.deepEqual(after.properties, before.properties, url.href);
    assert.deepEqual(after.required, before.required, url.href);
    assert.deepEqual(after.allOf, before.allOf, url.href);
    assert.deepEqual(after.order, before.order.length ? before.order : Object.keys(form.schema.properties), url.href);
    for (const [key, value] of Object.entries(form.ui)) {
      if (!['ui:order'].includes(key)) {
        assert.deepEqual(built.ui[key], value, `${url.href} ${key}`);
      }
    }
  }
  assert.ok(shown >= files.length / 2, `only ${shown} of ${files.length} forms open in the visual editor`);
});

test('a new form: fields, order, required, options, English texts, a condition', () => {
  const decision = newField('radio', 'decision', '审核意见');
  decision.required = true;
  decision.labelEn = 'Decision';
  decision.options = [{ value: 'approve', label: '同意', labelEn: 'Approve' }, { value: 'return', label: '退回', labelEn: 'Return' }];
  const reason = newField('textarea', 'reason', '退回原因');
  reason.required = true;
  reason.condition = { field: 'decision', value: 'return' };
  reason.help = '请写明需要修改的内容';
  reason.helpEn = 'Say what needs changing';
  const score = newField('integer', 'score', '评分');
  const model = { title: '审核', titleEn: 'Review', fields: [score, decision, reason], schemaRest: {}, uiRest: {} };
  const { schema, ui, problems } = buildForm(model);
  assert.deepEqual(problems, []);
  assert.deepEqual(schema.properties.decision, { title: '审核意见', type: 'string', enum: ['approve', 'return'], enumNames: ['同意', '退回'] });
  assert.deepEqual(schema.required, ['decision']);
  assert.deepEqual(ui['ui:order'], ['score', 'decision']);
  assert.deepEqual(schema.allOf, [{ if: { properties: { decision: { const: 'return' } }, required: ['decision'] },
    then: { properties: { reason: { title: '退回原因', type: 'string' } }, required: ['reason'] } }]);
  assert.deepEqual(ui.reason, { 'ui:widget': 'textarea', 'ui:help': '请写明需要修改的内容' });
  assert.deepEqual(ui['ui:locales'].en, { '审核': 'Review', '审核意见': 'Decision', '同意': 'Approve', '退回': 'Return',
    '请写明需要修改的内容': 'Say what needs changing' });
  // and back
  const again = parseForm(schema, ui);
  assert.deepEqual(again.fields.map((f) => [f.key, f.type, f.required, f.condition]),
    [['score', 'integer', false, null], ['decision', 'radio', true, null], ['reason', 'textarea', true, { field: 'decision', value: 'return' }]]);
  assert.equal(again.fields[1].options[1].labelEn, 'Return');
  assert.equal(again.titleEn, 'Review');
});

test('problems: bad and duplicate keys, options without values, a condition on a missing field', () => {
  const a = newField('text', 'name');
  const b = newField('text', 'name');
  const c = newField('select', '1bad');
  c.options = [{ value: '', label: 'x' }];
  const d = newField('text', 'd');
  d.condition = { field: 'nowhere', value: 'x' };
  const { problems } = buildForm({ title: '', fields: [a, b, c, d], schemaRest: {}, uiRest: {} });
  assert.deepEqual(problems.map((p) => [p.index, p.code]), [[1, 'duplicate'], [2, 'key'], [2, 'options'], [3, 'condition']]);
});

test('changing a type drops the keys that belong to the old one and keeps the rest', () => {
  const model = parseForm({ type: 'object', properties: { n: { type: 'string', title: '姓名', maxLength: 20, description: '说明' } } }, {});
  model.fields[0].type = 'integer';
  const { schema } = buildForm(model);
  assert.deepEqual(schema.properties.n, { title: '姓名', type: 'integer', description: '说明' });
});

test('shapes the visual editor does not handle are refused (edited as JSON)', () => {
  assert.throws(() => parseForm({ type: 'object', properties: { rows: { type: 'array', items: { type: 'object' } } } }), Unsupported);
  assert.throws(() => parseForm({ type: 'object', properties: { a: { type: 'string' } },
    if: { properties: { a: { minLength: 3 } } }, then: { required: ['a'] } }), Unsupported);
});

test('a date-time field may ask for a future time; a format the editor does not set stays', () => {
  const when = newField('datetime', 'slot', '面试时间');
  assert.equal(buildForm({ title: 'T', fields: [when] }).schema.properties.slot.format, 'date-time');
  when.futureOnly = true;
  assert.equal(buildForm({ title: 'T', fields: [when] }).schema.properties.slot.format, 'future-date-time');
  const parsed = parseForm({ type: 'object', properties: { link: { type: 'string', format: 'uri', title: '链接' } } }, {});
  assert.equal(buildForm(parsed).schema.properties.link.format, 'uri');
  parsed.fields[0].type = 'email';
  assert.equal(buildForm(parsed).schema.properties.link.format, 'email');
});
