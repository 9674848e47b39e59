import { isAny } from 'bpmnlint-utils';
import { say } from '../messages.js';
import { outgoingFlows } from '../../lib/flows.js';

// An exclusive or inclusive gateway that splits needs a default flow (otherwise an instance whose data matches
// none of the conditions stops with an error), and a condition on every other outgoing flow.
export default function gatewayDefault(config) {
  function check(node, reporter) {
    if (!isAny(node, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'])) {
      return;
    }
    const flows = outgoingFlows(node);
    if (flows.length < 2) {
      return;
    }
    if (!node.default) {
      reporter.report(node.id, say(config, 'gateway-default'));
    }
    flows.filter((flow) => flow !== node.default && !(flow.conditionExpression && (flow.conditionExpression.body || '').trim()))
      .forEach((flow) => reporter.report(flow.id, say(config, 'flow-condition')));
  }

  return { check };
}
