import { is } from 'bpmnlint-utils';
import { say } from '../messages.js';
import { spiffProperty } from '../../lib/extensions.js';

// A user task reaches people through its lane (the lane's name is a role's lane key) and shows them a form.
export default function userTask(config) {
  function check(node, reporter) {
    if (!is(node, 'bpmn:UserTask')) {
      return;
    }
    if (!laneOf(node)) {
      reporter.report(node.id, say(config, 'user-task-lane'));
    }
    if (!spiffProperty(node, 'formJsonSchemaFilename')) {
      reporter.report(node.id, say(config, 'user-task-form'));
    }
  }

  return { check };
}

// The named lane holding the task, or one holding a sub-process around it.
function laneOf(node) {
  const enclosing = [];
  let container = node;
  while (container && !is(container, 'bpmn:Process')) {
    enclosing.push(container);
    container = container.$parent;
  }
  const lanes = [];
  const collect = (laneSet) => ((laneSet && laneSet.lanes) || []).forEach((lane) => {
    lanes.push(lane);
    collect(lane.childLaneSet);
  });
  ((container && container.laneSets) || []).forEach(collect);
  return lanes.find((lane) => lane.name && (lane.flowNodeRef || []).some((ref) => enclosing.includes(ref)));
}
