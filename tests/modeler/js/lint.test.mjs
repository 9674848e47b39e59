// The platform's bpmnlint rules on small BPMN documents: each rule reports what it must and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import bpmnlint from 'bpmnlint';
import { lintConfig } from '../../../app/modeler/assets/lint/config.js';

const spiff = JSON.parse(readFileSync(new URL('../../../app/modeler/assets/moddle/spiffworkflow.json', import.meta.url)));
const moddle = new BpmnModdle({ spiffworkflow: spiff });

function definitions(processBody, extra = '') {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="t">
  ${extra}
  <bpmn:process id="p" isExecutable="true">${processBody}</bpmn:process>
</bpmn:definitions>`;
}

const FORM = `<bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="formJsonSchemaFilename" value="f.json"/></spiffworkflow:properties></bpmn:extensionElements>`;
const LANES = (...ids) => `<bpmn:laneSet id="ls"><bpmn:lane id="lane_staff" name="staff">
  ${ids.map((id) => `<bpmn:flowNodeRef>${id}</bpmn:flowNodeRef>`).join('')}</bpmn:lane></bpmn:laneSet>`;

async function lint(xml, options = {}) {
  const { rootElement, warnings } = await moddle.fromXML(xml);
  assert.deepEqual(warnings.map((w) => w.message), []);
  const packed = lintConfig(options);
  const linter = new bpmnlint.Linter({ resolver: packed.resolver, config: packed.config });
  const results = await linter.lint(rootElement);
  const flat = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      flat.push({ rule, id: report.id, message: report.message, category: report.category });
    }
  }
  return flat;
}

const only = (reports, rule) => reports.filter((r) => r.rule === rule);

// start -> u (user task, lane, form) -> end: nothing to report
const CLEAN = LANES('start', 'u', 'end') + `
  <bpmn:startEvent id="start"/><bpmn:userTask id="u">${FORM}</bpmn:userTask><bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="end"/>`;

test('a clean process has no reports', async () => {
  assert.deepEqual(await lint(definitions(CLEAN)), []);
});

test('unreachable: an element no path from a start event leads to', async () => {
  const xml = definitions(CLEAN + `<bpmn:scriptTask id="orphan"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end2"/><bpmn:sequenceFlow id="f3" sourceRef="orphan" targetRef="end2"/>`);
  const reports = only(await lint(xml), 'platform/unreachable');
  assert.deepEqual(reports.map((r) => r.id).sort(), ['end2', 'orphan']);
  assert.equal(reports[0].category, 'error');
});

test('unreachable: boundary events of reachable tasks and event sub-processes are reachable', async () => {
  const xml = definitions(CLEAN + `
    <bpmn:boundaryEvent id="late" attachedToRef="u" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="late_end"/><bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="late_end"/>
    <bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="es"/><bpmn:endEvent id="ee"/>
      <bpmn:sequenceFlow id="f5" sourceRef="es" targetRef="ee"/></bpmn:subProcess>`);
  assert.deepEqual(only(await lint(xml), 'platform/unreachable'), []);
});

test('gateway-default: a splitting exclusive gateway without a default flow is a warning', async () => {
  const body = (attrs) => LANES('start', 'u', 'end', 'end2') + `
    <bpmn:startEvent id="start"/><bpmn:userTask id="u">${FORM}</bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" ${attrs}/><bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="gw"/>
    <bpmn:sequenceFlow id="yes" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>ok</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="gw" targetRef="end2"><bpmn:conditionExpression>not ok</bpmn:conditionExpression></bpmn:sequenceFlow>`;
  const reports = only(await lint(definitions(body(''))), 'platform/gateway-default');
  assert.deepEqual(reports.map((r) => [r.id, r.category]), [['gw', 'warn']]);
  assert.deepEqual(only(await lint(definitions(body('default="no"'))), 'platform/gateway-default'), []);
});

test('user-task: without a lane, without a form', async () => {
  const xml = definitions(`<bpmn:startEvent id="start"/><bpmn:userTask id="u"/><bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="end"/>`);
  const reports = only(await lint(xml), 'platform/user-task');
  assert.equal(reports.length, 2);
  assert.match(reports[0].message, /no lane/);
  assert.match(reports[1].message, /no form/);
});

test('user-task: a lane without a name is no role', async () => {
  const xml = definitions(CLEAN.replace('name="staff"', ''));
  assert.match(only(await lint(xml), 'platform/user-task')[0].message, /no lane/);
});

test('service-operation: missing and unknown operations, known ones pass', async () => {
  const service = (operator) => definitions(`<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="s"><bpmn:extensionElements>${operator}</bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s"/><bpmn:sequenceFlow id="f2" sourceRef="s" targetRef="end"/>`);
  const options = { operations: ['mail.send'] };
  const missing = only(await lint(service(''), options), 'platform/service-operation');
  assert.match(missing[0].message, /has no operation/);
  const unknown = only(await lint(service('<spiffworkflow:serviceTaskOperator id="mail.sned"/>'), options),
    'platform/service-operation');
  assert.equal(unknown[0].message, 'Unknown service operation "mail.sned"');
  assert.deepEqual(only(await lint(service('<spiffworkflow:serviceTaskOperator id="mail.send"/>'), options),
    'platform/service-operation'), []);
});

test('timer: unquoted, invalid and empty values; quoted ISO values and expressions pass', async () => {
  const timer = (kind, value) => definitions(`<bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>${kind ? `<bpmn:${kind}>${value}</bpmn:${kind}>` : ''}
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>`);
  const messages = async (kind, value) => only(await lint(timer(kind, value)), 'platform/timer').map((r) => r.message);
  assert.match((await messages('timeDuration', 'PT1H'))[0], /read as a variable name/);
  assert.match((await messages('timeDuration', '"PT1X"'))[0], /not a valid ISO 8601/);
  assert.match((await messages('timeDate', '"P1D"'))[0], /not a valid ISO 8601/);
  assert.match((await messages('timeCycle', '"R3/P1X"'))[0], /not a valid ISO 8601/);
  assert.match((await messages(null))[0], /no value/);
  for (const [kind, value] of [['timeDuration', '"PT1H"'], ['timeDuration', 'response_window'],
    ['timeDate', '"2026-09-01T09:00:00+08:00"'], ['timeCycle', '"R3/PT10M"'],
    ['timeDuration', '"P" + str(days) + "D"']]) {
    assert.deepEqual(await messages(kind, value), [], `${kind} ${value}`);
  }
});

test('decision: business rule task without a decision or with one no DMN file has', async () => {
  const task = (called) => definitions(`<bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="d"><bpmn:extensionElements>${called}</bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="d"/><bpmn:sequenceFlow id="f2" sourceRef="d" targetRef="end"/>`);
  const options = { decisions: ['route'] };
  assert.match(only(await lint(task(''), options), 'platform/decision')[0].message, /no decision/);
  assert.match(only(await lint(task('<spiffworkflow:calledDecisionId>other</spiffworkflow:calledDecisionId>'),
    options), 'platform/decision')[0].message, /"other"/);
  assert.deepEqual(only(await lint(task('<spiffworkflow:calledDecisionId>route</spiffworkflow:calledDecisionId>'),
    options), 'platform/decision'), []);
});

test('messages come translated from the page, bpmnlint\'s own ones too', async () => {
  const xml = definitions(`<bpmn:userTask id="u"/>`);
  const reports = await lint(xml, { messages: {
    'user-task-lane': '用户任务不在任何泳道中', 'Process is missing start event': '流程缺少开始事件' } });
  assert.ok(reports.some((r) => r.message === '用户任务不在任何泳道中'));
  assert.ok(reports.some((r) => r.message === '流程缺少开始事件'));
});
