// Sequence flows of a container by their source and target. bpmn-js keeps `incoming`/`outgoing` on the
// business objects only for what it modelled itself; files written elsewhere often lack them, so the rules
// read the flows' own sourceRef/targetRef.
import { is } from 'bpmnlint-utils';

export function outgoingFlows(node) {
  const container = node.$parent;
  return ((container && container.flowElements) || []).filter((el) =>
    is(el, 'bpmn:SequenceFlow') && el.sourceRef === node);
}
