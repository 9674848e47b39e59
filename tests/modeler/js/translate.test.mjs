// The translate service handed to bpmn-js: the server's table first, the English template otherwise, and
// {placeholders} filled either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateFrom, translateModule } from '../../../app/modeler/assets/translate.js';

test('looks the template up and fills its placeholders', () => {
  const translate = translateFrom({ 'Create task': '创建任务', 'Append {type}': '追加{type}' });
  assert.equal(translate('Create task'), '创建任务');
  assert.equal(translate('Append {type}', { type: '网关' }), '追加网关');
  assert.equal(translate('Delete'), 'Delete');
  assert.equal(translate('Missing {x}'), 'Missing {x}');
  assert.equal(translateFrom(undefined)('Loop'), 'Loop');
});

test('replaces diagram-js translate service as a value', () => {
  const module = translateModule({ Loop: '循环' });
  assert.equal(module.translate[0], 'value');
  assert.equal(module.translate[1]('Loop'), '循环');
});
