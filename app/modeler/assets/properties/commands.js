// Writing the platform's extensions through bpmn-js's command stack, so every change is one undoable step.
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { extension } from '../lib/extensions.js';

const UPDATE = 'element.updateModdleProperties';
const MULTI = 'properties-panel.multi-command-executor';

// The business object the platform's process-level settings live on: the process itself, also when its pool
// (participant) is selected.
export function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Participant')) {
    return bo.processRef;
  }
  return is(bo, 'bpmn:Process') ? bo : null;
}

function update(element, moddleElement, properties) {
  return { cmd: UPDATE, context: { element, moddleElement, properties } };
}

function created(bpmnFactory, type, attrs, parent) {
  const element = bpmnFactory.create(type, attrs);
  element.$parent = parent;
  return element;
}

// The commands that make sure `bo` has extension elements; returns them with the (maybe new) container.
function withExtensionElements(bpmnFactory, element, bo) {
  if (bo.extensionElements) {
    return [[], bo.extensionElements];
  }
  const ext = created(bpmnFactory, 'bpmn:ExtensionElements', { values: [] }, bo);
  return [[update(element, bo, { extensionElements: ext })], ext];
}

function run(injector, commands) {
  if (commands.length) {
    injector.get('commandStack').execute(MULTI, commands);
  }
}

// spiffworkflow:properties/property[name] = value (an empty value removes the property).
export function setSpiffProperty(injector, element, name, value, bo = getBusinessObject(element)) {
  const bpmnFactory = injector.get('bpmnFactory');
  const existingContainer = extension(bo, 'spiffworkflow:Properties');
  const existing = existingContainer && existingContainer.properties.find((p) => p.name === name);
  if (existing) {
    run(injector, [value
      ? update(element, existing, { value })
      : update(element, existingContainer, { properties: existingContainer.properties.filter((p) => p !== existing) })]);
    return;
  }
  if (!value) {
    return;
  }
  const [commands, ext] = withExtensionElements(bpmnFactory, element, bo);
  let container = existingContainer;
  if (!container) {
    container = created(bpmnFactory, 'spiffworkflow:Properties', { properties: [] }, ext);
    commands.push(update(element, ext, { values: [...(ext.values || []), container] }));
  }
  const property = created(bpmnFactory, 'spiffworkflow:Property', { name, value }, container);
  commands.push(update(element, container, { properties: [...container.properties, property] }));
  run(injector, commands);
}

// An extension element with a text body (instructions, called decision, pre/post script).
export function setBodyExtension(injector, element, type, value, bo = getBusinessObject(element)) {
  const bpmnFactory = injector.get('bpmnFactory');
  const existing = extension(bo, type);
  if (existing) {
    const ext = bo.extensionElements;
    run(injector, [value
      ? update(element, existing, { value })
      : update(element, ext, { values: ext.values.filter((v) => v !== existing) })]);
    return;
  }
  if (!value) {
    return;
  }
  const [commands, ext] = withExtensionElements(bpmnFactory, element, bo);
  const body = created(bpmnFactory, type, { value }, ext);
  commands.push(update(element, ext, { values: [...(ext.values || []), body] }));
  run(injector, commands);
}

// The service task's operator: its operation name, result variable and parameters ({id: expression}).
export function setServiceOperator(injector, element, changes) {
  const bpmnFactory = injector.get('bpmnFactory');
  const bo = getBusinessObject(element);
  const [commands, ext] = withExtensionElements(bpmnFactory, element, bo);
  let operator = extension(bo, 'spiffworkflow:ServiceTaskOperator');
  if (!operator) {
    // the spiffworkflow schema wants a parameter list, even an empty one
    operator = created(bpmnFactory, 'spiffworkflow:ServiceTaskOperator', {}, ext);
    operator.parameterList = created(bpmnFactory, 'spiffworkflow:Parameters', { parameters: [] }, operator);
    commands.push(update(element, ext, { values: [...(ext.values || []), operator] }));
  }
  const attrs = {};
  if ('id' in changes) {
    attrs.id = changes.id || undefined;
  }
  if ('resultVariable' in changes) {
    attrs.resultVariable = changes.resultVariable || undefined;
  }
  if ('parameters' in changes) {
    const list = created(bpmnFactory, 'spiffworkflow:Parameters', { parameters: [] }, operator);
    list.parameters = Object.entries(changes.parameters)
      .map(([id, value]) => created(bpmnFactory, 'spiffworkflow:Parameter', { id, type: 'any', value }, list));
    attrs.parameterList = list;
  }
  commands.push(update(element, operator, attrs));
  run(injector, commands);
}

export function serviceParameters(bo) {
  const operator = extension(bo, 'spiffworkflow:ServiceTaskOperator');
  const list = operator && operator.parameterList;
  const params = {};
  ((list && list.parameters) || []).forEach((p) => { params[p.id] = p.value || ''; });
  return params;
}

// A flow's condition (a Python expression in a bpmn:FormalExpression body).
export function setCondition(injector, element, value) {
  const bo = getBusinessObject(element);
  const condition = value
    ? created(injector.get('bpmnFactory'), 'bpmn:FormalExpression', { body: value }, bo)
    : undefined;
  injector.get('modeling').updateProperties(element, { conditionExpression: condition });
}

// The value of a timer definition: one of timeDuration / timeDate / timeCycle holding an expression.
export function setTimer(injector, element, definition, kind, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const properties = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
  properties[kind] = created(bpmnFactory, 'bpmn:FormalExpression', { body: value }, definition);
  run(injector, [update(element, definition, properties)]);
}

// The message a catch/throw event or receive/send task refers to, found or created by name in the
// definitions, and its correlation properties. SpiffWorkflow names a correlation property by its id and the
// engine looks that name up in task data, so each property's id is the data key (one property per key, with
// a retrieval expression per message that carries it).
export function setMessage(injector, element, name, keys) {
  const bpmnFactory = injector.get('bpmnFactory');
  const definitions = injector.get('canvas').getRootElement().businessObject.$parent;
  const holder = messageHolder(getBusinessObject(element));
  let rootElements = [...definitions.rootElements];
  let message = rootElements.find((el) => is(el, 'bpmn:Message') && el.name === name);
  if (name && !message) {
    message = created(bpmnFactory, 'bpmn:Message', { name }, definitions);
    rootElements.push(message);
  }
  const commands = [];
  if (keys && message) {
    rootElements.filter((el) => is(el, 'bpmn:CorrelationProperty')).forEach((property) => {
      const others = (property.correlationPropertyRetrievalExpression || []).filter((r) => r.messageRef !== message);
      if (!keys.includes(property.id)) {
        if (others.length) {
          commands.push(update(element, property, { correlationPropertyRetrievalExpression: others }));
        } else {
          rootElements = rootElements.filter((el) => el !== property);
        }
      }
    });
    keys.forEach((key) => {
      let property = rootElements.find((el) => is(el, 'bpmn:CorrelationProperty') && el.id === key);
      if (!property) {
        property = created(bpmnFactory, 'bpmn:CorrelationProperty', { id: key, name: key }, definitions);
        property.correlationPropertyRetrievalExpression = [];
        rootElements.push(property);
      }
      const expressions = property.correlationPropertyRetrievalExpression || [];
      if (!expressions.some((r) => r.messageRef === message)) {
        const retrieval = created(bpmnFactory, 'bpmn:CorrelationPropertyRetrievalExpression', { messageRef: message },
          property);
        retrieval.messagePath = created(bpmnFactory, 'bpmn:FormalExpression', { body: key }, retrieval);
        commands.push(update(element, property, { correlationPropertyRetrievalExpression: [...expressions, retrieval] }));
      }
    });
  }
  commands.unshift(update(element, definitions, { rootElements }));
  commands.push(update(element, holder, { messageRef: name ? message : undefined }));
  run(injector, commands);
}

export function messageHolder(bo) {
  if (is(bo, 'bpmn:ReceiveTask') || is(bo, 'bpmn:SendTask')) {
    return bo;
  }
  return (bo.eventDefinitions || []).find((d) => is(d, 'bpmn:MessageEventDefinition')) || null;
}

// The data keys a message is correlated by.
export function correlationKeys(message, definitions) {
  if (!message || !definitions) {
    return [];
  }
  return definitions.rootElements
    .filter((el) => is(el, 'bpmn:CorrelationProperty') &&
      (el.correlationPropertyRetrievalExpression || []).some((r) => r.messageRef === message))
    .map((el) => el.id);
}
