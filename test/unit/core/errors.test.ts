import { describe, expect, it } from 'vitest';
import { AuthError, NotFoundError } from '../../../src/core/errors.js';

describe('AuthError', () => {
  it('is a named error with its message but no stack frames, and leaves other errors theirs', () => {
    const limit = Error.stackTraceLimit;
    const error = new AuthError('signed request refused: signature does not match');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AuthError');
    expect(error.message).toBe('signed request refused: signature does not match');
    expect(error.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new NotFoundError('x').stack).toMatch(/\n\s+at /);
  });
});
