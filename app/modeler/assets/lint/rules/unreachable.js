import { is, isAny } from 'bpmnlint-utils';
import { say } from '../messages.js';

// Every flow node of a process or sub-process must be reachable from one of its start events (or start on its
// own: an event sub-process, a boundary event of a reachable activity, a compensation handler).
export default function unreachable(config) {

  function check(container, reporter) {
    if (!isAny(container, ['bpmn:Process', 'bpmn:SubProcess']) || is(container, 'bpmn:AdHocSubProcess')) {
      return;
    }
    const elements = container.flowElements || [];
    const nodes = elements.filter((el) => is(el, 'bpmn:FlowNode'));
    const next = new Map(nodes.map((node) => [node, []]));
    elements.forEach((el) => {
      if (is(el, 'bpmn:SequenceFlow') && next.has(el.sourceRef)) {
        next.get(el.sourceRef).push(el.targetRef);
      }
      if (is(el, 'bpmn:BoundaryEvent') && next.has(el.attachedToRef)) {
        next.get(el.attachedToRef).push(el);
      }
    });
    const links = new Map();
    nodes.filter((n) => is(n, 'bpmn:IntermediateCatchEvent') && linkName(n)).forEach((n) => links.set(linkName(n), n));
    nodes.filter((n) => is(n, 'bpmn:IntermediateThrowEvent') && links.has(linkName(n)))
      .forEach((n) => next.get(n).push(links.get(linkName(n))));

    const reached = new Set(nodes.filter((node) => is(node, 'bpmn:StartEvent') || node.isForCompensation ||
      (is(node, 'bpmn:SubProcess') && node.triggeredByEvent)));
    const queue = [...reached];
    while (queue.length) {
      for (const target of next.get(queue.shift()) || []) {
        if (target && !reached.has(target)) {
          reached.add(target);
          queue.push(target);
        }
      }
    }
    nodes.filter((node) => !reached.has(node)).forEach((node) => reporter.report(node.id, say(config, 'unreachable')));
  }

  return { check };
}

function linkName(event) {
  const definition = (event.eventDefinitions || []).find((d) => is(d, 'bpmn:LinkEventDefinition'));
  return definition && definition.name;
}
