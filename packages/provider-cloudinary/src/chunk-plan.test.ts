import { describe, expect, it } from 'vitest';
import { contentRange, remainingChunks, startingPoint } from './chunk-plan.js';

const MB = 1_000_000;
const fresh = () => 'new-session';

describe('remainingChunks', () => {
  it('splits the whole file into chunk-size ranges with a shorter last one', () => {
    expect(remainingChunks(16 * MB, 5 * MB, 0)).toEqual([
      { start: 0, end: 5 * MB - 1 },
      { start: 5 * MB, end: 10 * MB - 1 },
      { start: 10 * MB, end: 15 * MB - 1 },
      { start: 15 * MB, end: 16 * MB - 1 },
    ]);
  });

  it('continues from a saved offset, aligned or not', () => {
    expect(remainingChunks(16 * MB, 5 * MB, 10 * MB)).toEqual([
      { start: 10 * MB, end: 15 * MB - 1 },
      { start: 15 * MB, end: 16 * MB - 1 },
    ]);
    expect(remainingChunks(16 * MB, 5 * MB, 7 * MB)).toEqual([
      { start: 7 * MB, end: 12 * MB - 1 },
      { start: 12 * MB, end: 16 * MB - 1 },
    ]);
  });

  it('sends the final chunk again when every byte was already acknowledged', () => {
    expect(remainingChunks(16 * MB, 5 * MB, 16 * MB)).toEqual([{ start: 15 * MB, end: 16 * MB - 1 }]);
    expect(remainingChunks(15 * MB, 5 * MB, 15 * MB)).toEqual([{ start: 10 * MB, end: 15 * MB - 1 }]);
  });
});

describe('contentRange', () => {
  it('says -1 for the total of non-final chunks and the real total on the final one, as the Node SDK does', () => {
    expect(contentRange({ start: 0, end: 5 * MB - 1 }, 16 * MB)).toBe('bytes 0-4999999/-1');
    expect(contentRange({ start: 15 * MB, end: 16 * MB - 1 }, 16 * MB)).toBe('bytes 15000000-15999999/16000000');
  });
});

describe('startingPoint', () => {
  it('resumes a saved session at its offset', () => {
    expect(startingPoint(16 * MB, { sessionId: 'abc', offset: 10 * MB }, fresh)).toEqual({ sessionId: 'abc', offset: 10 * MB });
    expect(startingPoint(16 * MB, { sessionId: 'abc', offset: 16 * MB }, fresh)).toEqual({ sessionId: 'abc', offset: 16 * MB });
  });

  it.each([
    ['nothing saved', undefined],
    ['a negative offset', { sessionId: 'abc', offset: -1 }],
    ['an offset past the end', { sessionId: 'abc', offset: 16 * MB + 1 }],
    ['a fractional offset', { sessionId: 'abc', offset: 1.5 }],
    ['an empty session id', { sessionId: '', offset: 5 * MB }],
  ])('starts a new session at 0 given %s', (_name, resume) => {
    expect(startingPoint(16 * MB, resume, fresh)).toEqual({ sessionId: 'new-session', offset: 0 });
  });
});
