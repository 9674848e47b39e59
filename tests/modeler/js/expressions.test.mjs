// Timer and due-date values: what the owner types, what is stored, what is shown again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  displayExpression, expressionProblem, isCycle, isDate, isDuration, storeExpression
} from '../../../app/modeler/assets/lib/expressions.js';

test('ISO durations the engine accepts, and ones it refuses', () => {
  for (const ok of ['PT1H', 'P3D', 'P1Y2M10DT2H30M', 'P2W', 'PT0.5S', 'pt15m']) {
    assert.ok(isDuration(ok), ok);
  }
  for (const bad of ['P', 'PT', 'P1H', 'PT1D', '1H', 'P1W2D', 'P1DT', 'PT1H ', 'P-1D']) {
    assert.ok(!isDuration(bad), bad);
  }
});

test('dates and cycles', () => {
  assert.ok(isDate('2026-09-01') && isDate('2026-09-01T09:00') && isDate('2026-09-01T09:00:00+08:00'));
  assert.ok(!isDate('2026-02-30') && !isDate('2026-09-01T25:00') && !isDate('tomorrow'));
  assert.ok(isCycle('R3/PT1H') && isCycle('R/P1D') && isCycle('R2/2026-09-01T09:00/P1D'));
  assert.ok(!isCycle('PT1H') && !isCycle('R3/') && !isCycle('R3/2026-09-01/2026-09-02'));
});

test('a typed ISO value is stored as its string literal and shown without quotes', () => {
  assert.equal(storeExpression('timeDuration', 'PT1H'), '"PT1H"');
  assert.equal(storeExpression('timeDuration', ' PT1H '), '"PT1H"');
  assert.equal(displayExpression('timeDuration', '"PT1H"'), 'PT1H');
  assert.equal(displayExpression('timeDuration', "'PT1H'"), 'PT1H');
  assert.equal(storeExpression('dueDate', '2026-07-01'), '"2026-07-01"');
  assert.equal(storeExpression('dueDate', 'P7D'), '"P7D"');
});

test('expressions are stored and shown as typed', () => {
  for (const expression of ['response_window', '"P" + str(days) + "D"', 'deadline if deadline else "P3D"']) {
    assert.equal(storeExpression('timeDuration', expression), expression);
    assert.equal(displayExpression('timeDuration', expression), expression);
  }
  assert.equal(storeExpression('timeDuration', ''), '');
  // a quoted text that is not ISO stays an expression, shown with its quotes (and reported)
  assert.equal(displayExpression('timeDuration', '"soon"'), '"soon"');
  assert.deepEqual(expressionProblem('timeDuration', '"soon"'), { code: 'timer-invalid', value: 'soon' });
  assert.deepEqual(expressionProblem('timeDuration', 'PT1H'), { code: 'timer-unquoted', value: 'PT1H' });
  assert.equal(expressionProblem('timeDuration', '"PT1H"'), null);
});
