import { describe, expect, it } from 'vitest';
import { GatewayError, InvalidRequestError, toGatewayError, UnavailableError } from '@gantry/spec';
import { classifyFailure, isTargetFailure } from '../src/classify-failure.ts';

describe('classifying failures of the gateway itself', () => {
  it('never counts a local failure against the target', () => {
    const local = [
      new GatewayError('internal_error', 500, 'internal error: the request could not be serialized as JSON', false),
      toGatewayError(new RangeError('Maximum call stack size exceeded')),
      new UnavailableError('the budget ledger could not be reached'),
    ];
    for (const error of local) {
      expect(classifyFailure(error), error.message).toBe('local');
      expect(isTargetFailure(classifyFailure(error)), error.message).toBe(false);
    }
  });

  it('still classifies a client error as the request, not as local', () => {
    expect(classifyFailure(new InvalidRequestError('bad field'))).toBe('request');
  });
});
