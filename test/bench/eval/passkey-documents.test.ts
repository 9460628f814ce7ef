import { describe, expect, it } from 'vitest';
import { NEEDLE_QUERY, noiseHay } from '../../../bench/eval/needle.js';
import { passkeyDocuments, passkeyMaxDistance } from '../../../bench/eval/passkey-documents.js';
import { SeededRandom } from '../../../src/random/index.js';

const text = (a: Int32Array) => new TextDecoder().decode(Uint8Array.from(a));

describe('passkeyDocuments', () => {
  it('each document holds a needle, then the query answered with the same key, which alone weighs 1', () => {
    const prose = Int32Array.from(new TextEncoder().encode('a quiet river runs past the old mill and on to the sea. '.repeat(40)));
    const { tokens, weights } = passkeyDocuments({ count: 60, length: 256, hays: [noiseHay(2000), prose], rng: new SeededRandom(4), otherWeight: 0.2 });
    expect(tokens).toHaveLength(60 * 256);
    const distances: number[] = [];
    for (let d = 0; d < 60; d++) {
      const doc = text(tokens.subarray(d * 256, (d + 1) * 256));
      const needle = /The pass key is (\d{5})\. Remember it\. \1 is the pass key\.\n/.exec(doc);
      expect(needle, doc).not.toBeNull();
      const key = needle?.[1] as string;
      const query = doc.indexOf(NEEDLE_QUERY);
      expect(doc.slice(query + NEEDLE_QUERY.length, query + NEEDLE_QUERY.length + 6)).toBe(`${key}\n`);
      const answerAt = d * 256 + query + NEEDLE_QUERY.length;
      const heavy = Array.from(weights.subarray(d * 256, (d + 1) * 256).entries()).filter(([, w]) => w === 1).map(([i]) => d * 256 + i);
      expect(heavy).toEqual([0, 1, 2, 3, 4].map((i) => answerAt + i));
      weights.subarray(d * 256, (d + 1) * 256).forEach((w) => expect([1, 0.2].map((x) => Math.fround(x))).toContain(w));
      distances.push(query - ((needle?.index ?? 0) + (needle?.[0].length ?? 0)));
    }
    expect(Math.min(...distances)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...distances)).toBeLessThanOrEqual(passkeyMaxDistance(256));
    expect(Math.max(...distances)).toBeGreaterThan(passkeyMaxDistance(256) / 2);
  });

  it('refuses documents too short for the needle, query and key', () => {
    expect(passkeyMaxDistance(256)).toBe(120);
    expect(() => passkeyDocuments({ count: 1, length: 100, hays: [noiseHay(500)], rng: new SeededRandom(0) })).toThrow(/cannot hold/);
  });
});
