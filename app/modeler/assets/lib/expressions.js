// What the engine reads from timer definitions and due dates: Python expressions (sandboxed) whose value is an
// ISO 8601 text. A process owner types the ISO value itself (PT1H); the panel stores it as the string literal
// "PT1H" and shows it without quotes again. Anything that is not a plain ISO value is an expression and is
// stored as typed (a variable such as `response_window`, or `"P" + str(days) + "D"`).

const NUMBER = '\\d+(?:[.,]\\d+)?';
const DURATION = new RegExp(
  `^P(?!$)(?:${NUMBER}Y)?(?:${NUMBER}M)?(?:${NUMBER}W)?(?:${NUMBER}D)?(?:T(?=\\d)(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`,
  'i');
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export function isDuration(text) {
  if (!DURATION.test(text)) {
    return false;
  }

  // weeks cannot be combined with years, months or days (the engine refuses P1W2D)
  const datePart = text.toUpperCase().split('T')[0];
  return !(datePart.includes('W') && /[YMD]/.test(datePart.slice(1).replace(/\d+(?:[.,]\d+)?W/, '')));
}

export function isDate(text) {
  if (!DATE.test(text)) {
    return false;
  }
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return false;
  }
  const time = text.slice(11).match(/^(\d{2}):(\d{2})(?::(\d{2}))?/);
  return !time || (Number(time[1]) < 24 && Number(time[2]) < 60 && Number(time[3] || 0) < 60);
}

// R3/PT1H, R/PT10M, R2/2026-09-01T09:00/P1D, R/P1D/2026-09-30T00:00
export function isCycle(text) {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || !/^R\d*$/i.test(parts[0])) {
    return false;
  }
  const rest = parts.slice(1);
  if (rest.length === 1) {
    return isDuration(rest[0]);
  }
  return (isDate(rest[0]) && isDuration(rest[1])) || (isDuration(rest[0]) && isDate(rest[1]));
}

// timeDate is a moment; a task's due date (dueDate) is a moment or a duration from when the task opens.
export const TIMER_KINDS = {
  timeDuration: isDuration,
  timeDate: isDate,
  timeCycle: isCycle,
  dueDate: (text) => isDate(text) || isDuration(text)
};

const STRING_LITERAL = /^(?:"([^"\\\n]*)"|'([^'\\\n]*)')$/;

// The ISO value a stored expression is the literal of, or null when it is any other expression.
export function literalValue(expression) {
  const match = STRING_LITERAL.exec((expression || '').trim());
  return match ? (match[1] !== undefined ? match[1] : match[2]) : null;
}

export function isIsoValue(kind, text) {
  const check = TIMER_KINDS[kind] || isDuration;
  return check(text);
}

// What the panel shows for a stored expression.
export function displayExpression(kind, expression) {
  const value = literalValue(expression);
  return value !== null && isIsoValue(kind, value) ? value : (expression || '');
}

// What the panel stores for what the owner typed: an ISO value becomes its string literal.
export function storeExpression(kind, typed) {
  const text = (typed || '').trim();
  if (!text) {
    return '';
  }
  return isIsoValue(kind, text) ? `"${text}"` : text;
}

// A problem with a stored timer or due-date expression that can be known without task data, or null.
// Expressions that read task data (names, calls) are checked by the engine when the timer starts.
export function expressionProblem(kind, expression) {
  const text = (expression || '').trim();
  if (!text) {
    return { code: 'timer-empty' };
  }
  if (isIsoValue(kind, text)) {
    return { code: 'timer-unquoted', value: text };
  }
  const value = literalValue(text);
  if (value !== null && !isIsoValue(kind, value)) {
    return { code: 'timer-invalid', value };
  }
  return null;
}
