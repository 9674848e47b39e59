import { is } from 'bpmnlint-utils';
import { say } from '../messages.js';
import { expressionProblem } from '../../lib/expressions.js';

// A timer's value must be an ISO 8601 text of its kind. Values that read task data are checked by the engine.
export default function timer(config) {
  function check(node, reporter) {
    if (!is(node, 'bpmn:TimerEventDefinition')) {
      return;
    }
    const owner = node.$parent;
    const kind = ['timeDuration', 'timeDate', 'timeCycle'].find((k) => node[k]);
    const problem = kind ? expressionProblem(kind, node[kind].body) : { code: 'timer-empty' };
    if (problem && owner && owner.id) {
      reporter.report(owner.id, say(config, problem.code, problem));
    }
  }

  return { check };
}
