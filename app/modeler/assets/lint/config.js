// The platform's bpmnlint configuration, packed for the browser and for tests: our rules (plug-in "platform")
// plus a few of bpmnlint's own. Rules that need the server's knowledge (service operations, decision ids,
// translated messages) get it as rule configuration from the page.
import decision from './rules/decision.js';
import gatewayDefault from './rules/gateway-default.js';
import serviceOperation from './rules/service-operation.js';
import timer from './rules/timer.js';
import unreachable from './rules/unreachable.js';
import userTask from './rules/user-task.js';
import startEventRequired from 'bpmnlint/rules/start-event-required.js';
import endEventRequired from 'bpmnlint/rules/end-event-required.js';
import noDuplicateSequenceFlows from 'bpmnlint/rules/no-duplicate-sequence-flows.js';

const PLUGIN = 'bpmnlint-plugin-platform';

export const RULES = {
  [PLUGIN]: {
    'unreachable': unreachable,
    'gateway-default': gatewayDefault,
    'user-task': userTask,
    'service-operation': serviceOperation,
    'timer': timer,
    'decision': decision
  },
  bpmnlint: {
    'start-event-required': translated(startEventRequired),
    'end-event-required': translated(endEventRequired),
    'no-duplicate-sequence-flows': translated(noDuplicateSequenceFlows)
  }
};

// bpmnlint's own rules report English; the page's messages translate them by their English text.
function translated(factory) {
  return function(config) {
    const rule = factory(config);
    const messages = (config && config.messages) || {};
    const wrap = (reporter) => ({
      report: (id, message, path) => reporter.report(id, messages[message] || message, path)
    });
    const check = rule.check;
    const wrapped = typeof check === 'function'
      ? (node, reporter) => check(node, wrap(reporter))
      : {
        enter: check.enter && ((node, reporter) => check.enter(node, wrap(reporter))),
        leave: check.leave && ((node, reporter) => check.leave(node, wrap(reporter)))
      };
    return { ...rule, check: wrapped };
  };
}

// options: { operations: [names], decisions: [ids] | null, messages: {code: translated text} }
export function lintConfig(options = {}) {
  const shared = { messages: options.messages || {} };
  return {
    config: {
      rules: {
        'platform/unreachable': ['error', shared],
        'platform/gateway-default': ['warn', shared],
        'platform/user-task': ['error', shared],
        'platform/service-operation': ['error', { ...shared, operations: options.operations || [] }],
        'platform/timer': ['error', shared],
        'platform/decision': ['error', { ...shared, decisions: options.decisions || null }],
        'start-event-required': ['error', shared],
        'end-event-required': ['warn', shared],
        'no-duplicate-sequence-flows': ['error', shared]
      }
    },
    resolver: {
      resolveRule(pkg, ruleName) {
        const rule = RULES[pkg] && RULES[pkg][ruleName];
        if (!rule) {
          throw new Error(`unknown rule <${pkg}/${ruleName}>`);
        }
        return rule;
      },
      resolveConfig() {
        return null;
      }
    }
  };
}
