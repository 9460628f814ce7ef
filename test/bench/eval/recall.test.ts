import { describe, expect, it } from 'vitest';
import { RECALL_KEYS, RECALL_SEPARATOR, RECALL_VALUES, recallExample, recallStream } from '../../../bench/eval/recall.js';
import { SeededRandom } from '../../../src/random/index.js';

describe('recallExample', () => {
  it('writes pairs, a separator, then every key once with its value', () => {
    for (const pairs of [1, 5, 36]) {
      const ex = recallExample(pairs, new SeededRandom(pairs));
      expect(ex.tokens.length).toBe(4 * pairs + 1);
      expect(ex.tokens[2 * pairs]).toBe(RECALL_SEPARATOR);
      const value = new Map<number, number>();
      for (let i = 0; i < pairs; i++) {
        const k = ex.tokens[2 * i] as number;
        expect(RECALL_KEYS).toContain(String.fromCharCode(k));
        expect(RECALL_VALUES).toContain(String.fromCharCode(ex.tokens[2 * i + 1] as number));
        expect(value.has(k)).toBe(false);
        value.set(k, ex.tokens[2 * i + 1] as number);
      }
      expect(ex.queries.length).toBe(pairs);
      const asked = new Set<number>();
      for (const q of ex.queries) {
        expect(q).toBeGreaterThan(2 * pairs);
        const k = ex.tokens[q] as number;
        asked.add(k);
        expect(ex.tokens[q + 1]).toBe(value.get(k));
      }
      expect(asked.size).toBe(pairs);
    }
  });

  it('is seeded', () => {
    expect(recallExample(8, new SeededRandom(4)).tokens).toEqual(recallExample(8, new SeededRandom(4)).tokens);
  });

  it('rejects impossible pair counts', () => {
    expect(() => recallExample(0, new SeededRandom(0))).toThrow(/pairs/);
    expect(() => recallExample(RECALL_KEYS.length + 1, new SeededRandom(0))).toThrow(/pairs/);
  });
});

describe('recallStream', () => {
  it('fills exactly the asked length with newline-separated examples', () => {
    const { tokens: data } = recallStream(1000, 2, 4, new SeededRandom(0));
    expect(data.length).toBe(1000);
    const examples = new TextDecoder().decode(Uint8Array.from(data)).split('\n').slice(0, -1);
    expect(examples.length).toBeGreaterThan(10);
    for (const e of examples) {
      expect([9, 13, 17]).toContain(e.length);
      expect(e[(e.length - 1) / 2]).toBe('|');
    }
  });

  it('weighs exactly the answers 1: the values after the query keys', () => {
    const { tokens, weights } = recallStream(300, 3, 3, new SeededRandom(1), 0.25);
    const text = new TextDecoder().decode(Uint8Array.from(tokens));
    // 3 pairs: 13 bytes and a newline per example; answers at 8, 10, 12 of each.
    for (let i = 0; i < 300; i++) {
      const inExample = i % 14;
      const answer = inExample === 8 || inExample === 10 || inExample === 12;
      expect(weights[i], `byte ${i} (${text[i]})`).toBe(answer ? 1 : 0.25);
      if (answer) expect(RECALL_VALUES).toContain(text[i]);
    }
  });
});
