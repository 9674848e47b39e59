// The platform's groups in the properties panel: what the engine and the inbox read from a BPMN file.
// Texts come from the page (config.platform.texts, translated on the server); lists the server knows (roles'
// lanes, service operations, forms, decisions) come from config.platform and are kept up to date by the page.
import {
  CheckboxEntry, ListGroup, SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited,
  isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { extension, spiffProperty } from '../lib/extensions.js';
import { displayExpression, storeExpression } from '../lib/expressions.js';
import {
  correlationKeys, messageHolder, processOf, serviceParameters, setBodyExtension, setCondition, setMessage,
  setServiceOperator, setSpiffProperty, setTimer
} from './commands.js';

const LOW_PRIORITY = 400;

function usePlatform() {
  return useService('config.platform') || {};
}

function t(platform, text) {
  return (platform.texts && platform.texts[text]) || text;
}

function splitList(value) {
  return (value || '').split(',').map((v) => v.trim()).filter(Boolean);
}

// ---------------------------------------------------------------------------------------------- entries

function SpiffPropertyField(props) {
  const { element, id, name, label, description, target } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  const bo = target || getBusinessObject(element);
  return TextFieldEntry({
    element, id, label: t(platform, label), description: description && t(platform, description), debounce,
    getValue: () => spiffProperty(bo, name) || '',
    setValue: (value) => setSpiffProperty(injector, element, name, (value || '').trim(), bo)
  });
}

function StarterRoles(props) {
  const { element, role } = props;
  const injector = useService('injector');
  const bo = processOf(element);
  return CheckboxEntry({
    element, id: `platform-starter-${role.key}`, label: role.label,
    getValue: () => splitList(spiffProperty(bo, 'starterRoles')).includes(role.key),
    setValue: (checked) => {
      const roles = splitList(spiffProperty(bo, 'starterRoles')).filter((r) => r !== role.key);
      if (checked) {
        roles.push(role.key);
      }
      setSpiffProperty(injector, element, 'starterRoles', roles.join(','), bo);
    }
  });
}

function StarterLane(props) {
  const { element } = props;
  const injector = useService('injector');
  const platform = usePlatform();
  const bo = processOf(element);
  return SelectEntry({
    element, id: 'platform-starter-lane', label: t(platform, 'Lane the starter plays'),
    description: t(platform, 'The first task in this lane goes to the person who started the process.'),
    getValue: () => spiffProperty(bo, 'starterLane') || '',
    setValue: (value) => setSpiffProperty(injector, element, 'starterLane', value, bo),
    getOptions: () => [{ value: '', label: '—' }, ...laneNames(bo).map((name) => ({ value: name, label: laneLabel(platform, name) }))]
  });
}

function laneNames(process) {
  const names = [];
  const collect = (laneSet) => ((laneSet && laneSet.lanes) || []).forEach((lane) => {
    if (lane.name && !names.includes(lane.name)) {
      names.push(lane.name);
    }
    collect(lane.childLaneSet);
  });
  ((process && process.laneSets) || []).forEach(collect);
  return names;
}

function laneLabel(platform, key) {
  const lane = (platform.lanes || []).find((l) => l.key === key);
  return lane ? `${lane.label} (${key})` : key;
}

function LaneRole(props) {
  const { element } = props;
  const modeling = useService('modeling');
  const platform = usePlatform();
  return SelectEntry({
    element, id: 'platform-lane-role', label: t(platform, 'Role'),
    description: t(platform, 'Tasks in this lane go to the people of this role (within their scope).'),
    getValue: () => getBusinessObject(element).name || '',
    setValue: (value) => modeling.updateProperties(element, { name: value || undefined }),
    getOptions: () => {
      const current = getBusinessObject(element).name;
      const options = [{ value: '', label: '—' }, ...(platform.lanes || []).map((l) => ({ value: l.key, label: laneLabel(platform, l.key) }))];
      if (current && !options.some((o) => o.value === current)) {
        options.push({ value: current, label: `${current} (${t(platform, 'no role has this lane')})` });
      }
      return options;
    }
  });
}

function FormSelect(props) {
  const { element } = props;
  const injector = useService('injector');
  const platform = usePlatform();
  const bo = getBusinessObject(element);
  return SelectEntry({
    element, id: 'platform-form', label: t(platform, 'Form'),
    getValue: () => spiffProperty(bo, 'formJsonSchemaFilename') || '',
    setValue: (value) => {
      setSpiffProperty(injector, element, 'formJsonSchemaFilename', value);
      const ui = value ? value.replace(/\.json$/, '.ui.json') : '';
      const hasUi = (platform.forms || []).some((f) => f.ui === ui);
      setSpiffProperty(injector, element, 'formUiSchemaFilename', hasUi ? ui : '');
    },
    getOptions: () => {
      const current = spiffProperty(bo, 'formJsonSchemaFilename');
      const options = [{ value: '', label: t(platform, '(no form)') }, ...(platform.forms || []).map((f) => ({
        value: f.schema, label: f.title ? `${f.title} (${f.schema})` : f.schema
      }))];
      if (current && !options.some((o) => o.value === current)) {
        options.push({ value: current, label: `${current} (${t(platform, 'missing')})` });
      }
      return options;
    }
  });
}

function ActionButtons(props) {
  const { element, id, actions } = props;
  const eventBus = useService('eventBus');
  const platform = usePlatform();
  return (
    <div class="bio-properties-panel-entry platform-actions" data-entry-id={id}>
      {actions.map((action) => (
        <button type="button" class="platform-button" data-action={action.event}
          onClick={() => eventBus.fire(action.event, { element, ...(action.data ? action.data() : {}) })}>
          {t(platform, action.label)}
        </button>
      ))}
    </div>
  );
}

// A timer value or a due date: an ISO value typed as such is stored as its string literal (the engine reads
// Python expressions); anything else is an expression over task data.
function ExpressionField(props) {
  const { element, id, label, kind, getStored, setStored } = props;
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  return TextFieldEntry({
    element, id, label: t(platform, label), debounce,
    description: t(platform, kind === 'timeCycle'
      ? 'A repetition like R3/PT1H, or an expression over task data.'
      : kind === 'timeDate'
        ? 'A date and time like 2026-09-01T09:00, or an expression over task data.'
        : kind === 'dueDate'
          ? 'A duration like P3D (from when the task opens), a date like 2026-07-01, or an expression.'
          : 'A duration like PT1H or P3D, or an expression over task data.'),
    getValue: () => displayExpression(kind, getStored()),
    setValue: (value) => setStored(storeExpression(kind, value))
  });
}

function DueDate(props) {
  const { element } = props;
  const injector = useService('injector');
  const bo = getBusinessObject(element);
  return ExpressionField({
    element, id: 'platform-due', label: 'Due', kind: 'dueDate',
    getStored: () => spiffProperty(bo, 'dueDate'),
    setStored: (value) => setSpiffProperty(injector, element, 'dueDate', value)
  });
}

function BodyTextArea(props) {
  const { element, id, type, label, description, monospace, rows } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  const bo = getBusinessObject(element);
  return TextAreaEntry({
    element, id, label: t(platform, label), description: description && t(platform, description), debounce,
    monospace, rows: rows || 4,
    getValue: () => { const ext = extension(bo, type); return (ext && ext.value) || ''; },
    setValue: (value) => setBodyExtension(injector, element, type, value || '')
  });
}

function ScriptBody(props) {
  const { element } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  return TextAreaEntry({
    element, id: 'platform-script', label: t(platform, 'Script (Python)'), debounce, monospace: true, rows: 8,
    getValue: () => getBusinessObject(element).script || '',
    setValue: (value) => modeling.updateProperties(element, { scriptFormat: 'python', script: value || undefined })
  });
}

function Condition(props) {
  const { element } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  return TextAreaEntry({
    element, id: 'platform-condition', label: t(platform, 'Condition (Python expression)'), debounce,
    monospace: true, rows: 2,
    description: t(platform, 'The flow is taken when this is true, e.g. decision == "approve".'),
    getValue: () => { const c = getBusinessObject(element).conditionExpression; return (c && c.body) || ''; },
    setValue: (value) => setCondition(injector, element, (value || '').trim())
  });
}

function timerDefinition(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerKind(definition) {
  return ['timeDuration', 'timeDate', 'timeCycle'].find((k) => definition[k]) || 'timeDuration';
}

function TimerKind(props) {
  const { element } = props;
  const injector = useService('injector');
  const platform = usePlatform();
  const definition = timerDefinition(element);
  return SelectEntry({
    element, id: 'platform-timer-kind', label: t(platform, 'Timer kind'),
    getValue: () => timerKind(definition),
    setValue: (kind) => {
      const current = definition[timerKind(definition)];
      setTimer(injector, element, definition, kind, (current && current.body) || '');
    },
    getOptions: () => [
      { value: 'timeDuration', label: t(platform, 'After a duration') },
      { value: 'timeDate', label: t(platform, 'At a date and time') },
      { value: 'timeCycle', label: t(platform, 'Repeatedly (cycle)') }
    ]
  });
}

function TimerValue(props) {
  const { element } = props;
  const injector = useService('injector');
  const definition = timerDefinition(element);
  const kind = timerKind(definition);
  return ExpressionField({
    element, id: 'platform-timer-value', label: 'Timer value', kind,
    getStored: () => { const v = definition[kind]; return v && v.body; },
    setStored: (value) => setTimer(injector, element, definition, kind, value)
  });
}

function OperationSelect(props) {
  const { element } = props;
  const injector = useService('injector');
  const platform = usePlatform();
  const bo = getBusinessObject(element);
  const operator = () => extension(bo, 'spiffworkflow:ServiceTaskOperator');
  return SelectEntry({
    element, id: 'platform-operation', label: t(platform, 'Operation'),
    getValue: () => (operator() && operator().id) || '',
    setValue: (value) => {
      const described = (platform.operations || []).find((o) => o.name === value);
      const current = serviceParameters(bo);
      const parameters = {};
      ((described && described.parameters) || []).forEach((p) => { parameters[p.name] = current[p.name] || ''; });
      Object.entries(current).forEach(([k, v]) => { if (v && !(k in parameters)) { parameters[k] = v; } });
      setServiceOperator(injector, element, { id: value, parameters });
    },
    getOptions: () => {
      const current = operator() && operator().id;
      const options = [{ value: '', label: '—' }, ...(platform.operations || []).map((o) => ({
        value: o.name, label: o.label ? `${o.label} (${o.name})` : o.name
      }))];
      if (current && !options.some((o) => o.value === current)) {
        options.push({ value: current, label: `${current} (${t(platform, 'unknown')})` });
      }
      return options;
    }
  });
}

function ServiceParameter(props) {
  const { element, id, name, description } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return TextFieldEntry({
    element, id, label: name, description, debounce,
    getValue: () => serviceParameters(bo)[name] || '',
    setValue: (value) => setServiceOperator(injector, element, { parameters: { ...serviceParameters(bo), [name]: value || '' } })
  });
}

function ResultVariable(props) {
  const { element } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  const bo = getBusinessObject(element);
  return TextFieldEntry({
    element, id: 'platform-result', label: t(platform, 'Result variable'), debounce,
    description: t(platform, 'Task data key the operation\'s result is stored under.'),
    getValue: () => { const o = extension(bo, 'spiffworkflow:ServiceTaskOperator'); return (o && o.resultVariable) || ''; },
    setValue: (value) => setServiceOperator(injector, element, { resultVariable: (value || '').trim() })
  });
}

function NewParameter(props) {
  const { element } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  const bo = getBusinessObject(element);
  return TextFieldEntry({
    element, id: 'platform-new-parameter', label: t(platform, 'Add a parameter (name)'), debounce,
    getValue: () => '',
    setValue: (value) => {
      const name = (value || '').trim();
      if (/^[A-Za-z_]\w*$/.test(name)) {
        setServiceOperator(injector, element, { parameters: { ...serviceParameters(bo), [name]: '' } });
      }
    }
  });
}

function MessageName(props) {
  const { element } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const platform = usePlatform();
  const holder = messageHolder(getBusinessObject(element));
  return TextFieldEntry({
    element, id: 'platform-message', label: t(platform, 'Message name'), debounce,
    description: t(platform, 'Messages with the same name meet: a send or throw and the catch that waits for it.'),
    getValue: () => (holder && holder.messageRef && holder.messageRef.name) || '',
    setValue: (value) => setMessage(injector, element, (value || '').trim(), null)
  });
}

function CorrelationKeys(props) {
  const { element } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const canvas = useService('canvas');
  const platform = usePlatform();
  const holder = messageHolder(getBusinessObject(element));
  const definitions = () => canvas.getRootElement().businessObject.$parent;
  return TextFieldEntry({
    element, id: 'platform-correlation', label: t(platform, 'Correlation keys'), debounce,
    description: t(platform, 'Task data keys (comma separated) that pick the waiting instance, e.g. agreement_id.'),
    getValue: () => correlationKeys(holder && holder.messageRef, definitions()).join(', '),
    setValue: (value) => {
      const keys = splitList(value).filter((k) => /^[A-Za-z_][\w]*$/.test(k));
      const message = holder && holder.messageRef;
      if (message) {
        setMessage(injector, element, message.name, keys);
      }
    }
  });
}

function DecisionSelect(props) {
  const { element } = props;
  const injector = useService('injector');
  const platform = usePlatform();
  const get = () => { const ext = extension(getBusinessObject(element), 'spiffworkflow:CalledDecisionId'); return (ext && ext.value) || ''; };
  return SelectEntry({
    element, id: 'platform-decision', label: t(platform, 'Decision table'),
    getValue: get,
    setValue: (value) => setBodyExtension(injector, element, 'spiffworkflow:CalledDecisionId', value),
    getOptions: () => {
      const options = [{ value: '', label: '—' }, ...(platform.decisions || []).map((d) => ({
        value: d.id, label: d.name ? `${d.name} (${d.id})` : d.id
      }))];
      const current = get();
      if (current && !options.some((o) => o.value === current)) {
        options.push({ value: current, label: `${current} (${t(platform, 'missing')})` });
      }
      return options;
    }
  });
}

// ----------------------------------------------------------------------------------------------- groups

function group(id, label, entries) {
  return { id, label, entries, component: undefined };
}

// Extra fields of an entry reach its component as props; components stay the same functions between renders
// (a new function each time would remount the input being typed in).
function entry(id, component, props = {}, isEdited) {
  return { ...props, id, component, isEdited };
}

export default function PlatformPropertiesProvider(propertiesPanel, injector) {
  const platform = () => injector.get('config.platform', false) || {};

  this.getGroups = function(element) {
    return function(groups) {
      const texts = (label) => t(platform(), label);
      const bo = getBusinessObject(element);
      const ours = [];
      const process = processOf(element);
      if (process) {
        ours.push(group('platform-process', texts('Starting the process'), [
          ...(platform().roles || []).map((role) => entry(`platform-starter-${role.key}`, StarterRoles, { role })),
          entry('platform-starter-lane', StarterLane, {}, isSelectEntryEdited),
          entry('platform-reportable', SpiffPropertyField, {
            name: 'reportableFields', label: 'Reportable fields', target: process,
            description: 'Task data keys (comma separated) kept for reports when the process ends.'
          }, isTextFieldEntryEdited),
          entry('platform-summary', SpiffPropertyField, {
            name: 'summaryFields', label: 'Inbox summary', target: process,
            description: 'What each inbox row shows about a task: label=task data key, comma separated (Student=student_name, Number=agreement_number). Searchable.'
          }, isTextFieldEntryEdited)
        ]));
      }
      if (is(element, 'bpmn:Lane')) {
        ours.push(group('platform-lane', texts('Role'), [entry('platform-lane-role', LaneRole, {}, isSelectEntryEdited)]));
      }
      if (is(element, 'bpmn:UserTask')) {
        const form = spiffProperty(bo, 'formJsonSchemaFilename');
        ours.push(group('platform-form', texts('Form'), [
          entry('platform-form', FormSelect, {}, isSelectEntryEdited),
          entry('platform-form-actions', ActionButtons, { actions: [
            ...(form ? [{ label: 'Edit form', event: 'platform.form.edit', data: () => ({ name: form }) }] : []),
            { label: 'New form', event: 'platform.form.new' }
          ] })
        ]));
        ours.push(group('platform-task', texts('Task'), [
          entry('platform-due', DueDate, {}, isTextFieldEntryEdited),
          entry('platform-instructions', BodyTextArea, {
            type: 'spiffworkflow:InstructionsForEndUser', label: 'Instructions (Markdown)', rows: 6
          }, isTextAreaEntryEdited),
          entry('platform-instructions-preview', ActionButtons, { actions: [{
            label: 'Preview instructions', event: 'platform.markdown.preview',
            data: () => { const ext = extension(getBusinessObject(element), 'spiffworkflow:InstructionsForEndUser'); return { text: (ext && ext.value) || '' }; }
          }] })
        ]));
      }
      if (is(element, 'bpmn:ManualTask')) {
        ours.push(group('platform-task', texts('Task'), [
          entry('platform-instructions', BodyTextArea, {
            type: 'spiffworkflow:InstructionsForEndUser', label: 'Instructions (Markdown)', rows: 6
          }, isTextAreaEntryEdited)
        ]));
      }
      if (is(element, 'bpmn:ServiceTask')) {
        const operator = extension(bo, 'spiffworkflow:ServiceTaskOperator');
        const described = (platform().operations || []).find((o) => operator && o.name === operator.id);
        const declared = ((described && described.parameters) || []);
        const names = [...declared.map((p) => p.name), ...Object.keys(serviceParameters(bo)).filter((n) => !declared.some((p) => p.name === n))];
        ours.push(group('platform-service', texts('Service operation'), [
          entry('platform-operation', OperationSelect, {}, isSelectEntryEdited),
          ...(described && described.description ? [entry('platform-operation-doc', Description, { text: described.description })] : []),
          ...names.map((name) => entry(`platform-param-${name}`, ServiceParameter, {
            name, description: ((declared.find((p) => p.name === name) || {}).description) || texts('Python expression over task data')
          }, isTextFieldEntryEdited)),
          entry('platform-new-parameter', NewParameter),
          entry('platform-result', ResultVariable, {}, isTextFieldEntryEdited)
        ]));
      }
      if (is(element, 'bpmn:ScriptTask')) {
        ours.push(group('platform-script', texts('Script'), [
          entry('platform-script', ScriptBody, {}, isTextAreaEntryEdited),
          entry('platform-script-editor', ActionButtons, { actions: [{ label: 'Open code editor', event: 'platform.code.edit', data: () => ({ kind: 'script' }) }] })
        ]));
      }
      if (is(element, 'bpmn:SequenceFlow') && isAny(bo.sourceRef, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'])
        && bo.sourceRef.default !== bo) {
        ours.push(group('platform-condition', texts('Condition'), [
          entry('platform-condition', Condition, {}, isTextAreaEntryEdited),
          entry('platform-condition-editor', ActionButtons, { actions: [{ label: 'Open code editor', event: 'platform.code.edit', data: () => ({ kind: 'condition' }) }] })
        ]));
      }
      if (is(element, 'bpmn:Event') && timerDefinition(element)) {
        ours.push(group('platform-timer', texts('Timer'), [
          entry('platform-timer-kind', TimerKind, {}, isSelectEntryEdited),
          entry('platform-timer-value', TimerValue, {}, isTextFieldEntryEdited)
        ]));
      }
      if ((is(element, 'bpmn:Event') || isAny(element, ['bpmn:ReceiveTask', 'bpmn:SendTask'])) && messageHolder(bo)) {
        ours.push(group('platform-message', texts('Message'), [
          entry('platform-message', MessageName, {}, isTextFieldEntryEdited),
          ...(messageHolder(bo).messageRef ? [entry('platform-correlation', CorrelationKeys, {}, isTextFieldEntryEdited)] : [])
        ]));
      }
      if (is(element, 'bpmn:BusinessRuleTask')) {
        const called = extension(bo, 'spiffworkflow:CalledDecisionId');
        ours.push(group('platform-decision', texts('Decision'), [
          entry('platform-decision', DecisionSelect, {}, isSelectEntryEdited),
          entry('platform-decision-actions', ActionButtons, { actions: [
            ...(called && called.value ? [{ label: 'Edit decision table', event: 'platform.decision.edit', data: () => ({ id: called.value }) }] : []),
            { label: 'New decision table', event: 'platform.decision.new' }
          ] })
        ]));
      }
      // ours right after "General" (name, id), before bpmn-js's documentation and the rest
      const at = groups.findIndex((g) => g.id === 'general') + 1;
      groups.splice(at, 0, ...ours);
      return groups;
    };
  };
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

PlatformPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

function Description(props) {
  return <div class="bio-properties-panel-description platform-doc" data-entry-id={props.id}>{props.text}</div>;
}
