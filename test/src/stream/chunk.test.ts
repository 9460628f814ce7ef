import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { chunk, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { probe } from './helpers.js';

/** Naive reference: slice the input every `size` items. */
function chunksOf<T>(input: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.slice(i, i + size));
  return out;
}

describe('chunk', () => {
  checkOperatorContract({
    make: (options) => chunk(3, options),
    model: (input) => chunksOf(input, 3),
  });

  it('never loses, duplicates or reorders items, whatever the size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 70 }), async (input, size) => {
        const chunks = await toArray(chunk<number>(size)(probe(input)));
        expect(chunks.flat()).toEqual(input);
        expect(chunks.every((c) => c.length === size || c === chunks.at(-1))).toBe(true);
        expect(chunks.every((c) => c.length > 0 && c.length <= size)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a bad size at once', () => {
    expect(() => chunk(0)).toThrow(ConfigError);
    expect(() => chunk(Number.NaN)).toThrow(/chunk\.size/);
  });
});
