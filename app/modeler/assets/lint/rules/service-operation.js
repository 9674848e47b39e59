import { is } from 'bpmnlint-utils';
import { say } from '../messages.js';
import { extension } from '../../lib/extensions.js';

// A service task calls an operation registered on the server (config.operations, given by the page).
export default function serviceOperation(config) {
  const known = new Set((config && config.operations) || []);

  function check(node, reporter) {
    if (!is(node, 'bpmn:ServiceTask')) {
      return;
    }
    const operator = extension(node, 'spiffworkflow:ServiceTaskOperator');
    const name = operator && operator.id;
    if (!name) {
      reporter.report(node.id, say(config, 'service-operation-missing'));
    } else if (!known.has(name)) {
      reporter.report(node.id, say(config, 'service-operation-unknown', { value: name }));
    }
  }

  return { check };
}
