import { describe, expect, it } from 'vitest';
import { messageBody, spamStream } from '../../../bench/eval/spam.js';

describe('messageBody', () => {
  it('drops the headers up to the first blank line', () => {
    expect(messageBody('From: a\nSubject: b\n\nHello\n\nBye')).toBe('Hello\n\nBye');
    expect(messageBody('From: a\r\n\r\nHi')).toBe('Hi');
    expect(messageBody('no body')).toBe('');
  });
});

describe('spamStream', () => {
  it('draws the asked number of labelled, non-empty, truncated messages, seeded', async () => {
    const a = await spamStream({ count: 20, spamFraction: 0.25, maxBytes: 100, seed: 5 });
    expect(a.length).toBe(20);
    expect(a.filter((m) => m.label === 1).length).toBe(5);
    for (const m of a) {
      expect(m.bytes.length).toBeGreaterThan(0);
      expect(m.bytes.length).toBeLessThanOrEqual(100);
      expect(m.id.startsWith(m.label === 1 ? 'spam' : '')).toBe(true);
    }
    const b = await spamStream({ count: 20, spamFraction: 0.25, maxBytes: 100, seed: 5 });
    expect(b.map((m) => m.id)).toEqual(a.map((m) => m.id));
  });
});
