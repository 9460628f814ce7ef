import { describe, expect, it } from 'vitest';
import { AdaptiveByteNgram } from '../../../bench/eval/byte-ngram.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('AdaptiveByteNgram', () => {
  it('scores the first byte at 8 bits and learns a repeated byte', () => {
    const s = new AdaptiveByteNgram(0).surprise(bytes('aaaa'));
    expect(s[0]).toBeCloseTo(8, 10);
    for (let i = 1; i < s.length; i++) expect(s[i] as number).toBeLessThan(s[i - 1] as number);
  });

  it('the bigram learns what follows what; the unigram cannot', () => {
    const bigram = new AdaptiveByteNgram(1);
    const unigram = new AdaptiveByteNgram(0);
    bigram.surprise(bytes('ab'.repeat(200)));
    unigram.surprise(bytes('ab'.repeat(200)));
    const [, afterA, bAgain] = bigram.surprise(bytes('abb'));
    expect(afterA as number).toBeLessThan(0.2);
    expect(bAgain as number).toBeGreaterThan(2);
    expect(unigram.surprise(bytes('b'))[0] as number).toBeCloseTo(-Math.log2(200.5 / (400 + 128)), 10);
  });
});
