import { is } from 'bpmnlint-utils';
import { say } from '../messages.js';
import { extension } from '../../lib/extensions.js';

// A business rule task names a decision of one of the process's DMN files (config.decisions, given by the page).
export default function decision(config) {
  const known = config && config.decisions ? new Set(config.decisions) : null;

  function check(node, reporter) {
    if (!is(node, 'bpmn:BusinessRuleTask')) {
      return;
    }
    const called = extension(node, 'spiffworkflow:CalledDecisionId');
    const name = called && (called.value || '').trim();
    if (!name) {
      reporter.report(node.id, say(config, 'decision-missing'));
    } else if (known && !known.has(name)) {
      reporter.report(node.id, say(config, 'decision-unknown', { value: name }));
    }
  }

  return { check };
}
