import { describe, expect, it } from 'vitest';
import { NEEDLE_QUERY, NOISE_SENTENCE, needleSentence, needleTrial, noiseHay, randomPasskey } from '../../../bench/eval/needle.js';
import { SeededRandom } from '../../../src/random/index.js';

const text = (t: Int32Array) => new TextDecoder().decode(Uint8Array.from(t));

describe('needle construction', () => {
  it('puts lead hay, then the needle sentence with the key, then maxDistance hay tokens', () => {
    const hay = noiseHay(5000);
    const trial = needleTrial({ hay, lead: 40, maxDistance: 3000, wrong: 9, rng: new SeededRandom(3) });
    const key = text(trial.answer);
    expect(key).toMatch(/^[1-9]\d{4}$/);
    expect(trial.prefix.length).toBe(40 + needleSentence(key).length);
    expect(text(trial.prefix.subarray(40))).toBe(needleSentence(key));
    expect(trial.hay.length).toBe(3000);
    expect(text(trial.query)).toBe(NEEDLE_QUERY);
    // The lead and the hay are one contiguous piece of the source, the needle cut into it.
    const lead = text(trial.prefix.subarray(0, 40));
    expect((NOISE_SENTENCE.repeat(60) ).includes(lead + text(trial.hay).slice(0, 200))).toBe(true);
  });

  it('draws distinct wrong keys of the same length, different from the answer', () => {
    const trial = needleTrial({ hay: noiseHay(200), lead: 10, maxDistance: 100, wrong: 30, rng: new SeededRandom(1) });
    const keys = [trial.answer, ...trial.distractors].map(text);
    expect(new Set(keys).size).toBe(31);
    for (const k of keys) expect(k).toMatch(/^[1-9]\d{4}$/);
  });

  it('is reproducible from the seed and varies with it', () => {
    const make = (seed: number) => needleTrial({ hay: noiseHay(4000), lead: 10, maxDistance: 1000, wrong: 3, rng: new SeededRandom(seed) });
    expect(text(make(7).answer)).toBe(text(make(7).answer));
    expect(new Set([1, 2, 3, 4, 5].map((s) => text(make(s).answer))).size).toBeGreaterThan(1);
  });

  it('rejects hay shorter than lead + maxDistance', () => {
    expect(() => needleTrial({ hay: noiseHay(100), lead: 10, maxDistance: 91, wrong: 1, rng: new SeededRandom(0) })).toThrow(/needs 101/);
  });

  it('noise hay repeats the filler sentence', () => {
    expect(text(noiseHay(2 * NOISE_SENTENCE.length + 5))).toBe(NOISE_SENTENCE + NOISE_SENTENCE + NOISE_SENTENCE.slice(0, 5));
    expect(randomPasskey(3, new SeededRandom(0))).toMatch(/^[1-9]\d\d$/);
  });
});
