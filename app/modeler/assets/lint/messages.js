// Lint messages in English; the page passes the translated texts (config.messages, from the server's catalogue).
export const MESSAGES = {
  'unreachable': 'Cannot be reached from a start event',
  'gateway-default': 'Gateway has no default flow: when no condition holds, the instance stops with an error',
  'flow-condition': 'Flow has no condition and is not the gateway\'s default flow',
  'user-task-lane': 'User task is in no lane: no role would get it in their inbox',
  'user-task-form': 'User task has no form',
  'service-operation-missing': 'Service task has no operation',
  'service-operation-unknown': 'Unknown service operation "%(value)s"',
  'timer-empty': 'Timer has no value',
  'timer-unquoted': 'Timer value %(value)s is read as a variable name: write it in quotes, "%(value)s" (the panel does this for you)',
  'timer-invalid': 'Timer value "%(value)s" is not a valid ISO 8601 value for this kind of timer',
  'decision-missing': 'Business rule task has no decision',
  'decision-unknown': 'No decision table "%(value)s" in this process\'s DMN files'
};

export function say(config, code, params = {}) {
  const text = (config && config.messages && config.messages[code]) || MESSAGES[code] || code;
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(params[key] ?? ''));
}
