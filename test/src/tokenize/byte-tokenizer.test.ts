import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors/index.js';
import {
  BYTE_BOS,
  BYTE_EOS,
  BYTE_PAD,
  BYTE_RECORD_SEPARATOR,
  BYTE_VOCAB_SIZE,
  ByteTokenizer,
} from '../../../src/tokenize/index.js';
import type { TokenDecoder } from '../../../src/tokenize/index.js';

function decodeAll(decoder: TokenDecoder, pieces: ArrayLike<number>[]): string {
  let text = '';
  for (const piece of pieces) text += decoder.decode(piece);
  return text + decoder.flush();
}

/** Splits `tokens` at the given cut points (any numbers; reduced modulo the length). */
function splitAt(tokens: Int32Array, cuts: number[]): Int32Array[] {
  const points = [...new Set(cuts.map((c) => c % (tokens.length + 1)))].sort((a, b) => a - b);
  const pieces: Int32Array[] = [];
  let start = 0;
  for (const p of points) {
    pieces.push(tokens.subarray(start, p));
    start = p;
  }
  pieces.push(tokens.subarray(start));
  return pieces;
}

describe('ByteTokenizer', () => {
  const tokenizer = new ByteTokenizer();

  it('describes its vocabulary', () => {
    expect(tokenizer.vocabSize).toBe(BYTE_VOCAB_SIZE);
    expect(tokenizer.specials).toEqual({ bos: BYTE_BOS, eos: BYTE_EOS, recordSeparator: BYTE_RECORD_SEPARATOR, pad: BYTE_PAD });
    expect(new Set(Object.values(tokenizer.specials)).size).toBe(4);
    for (const id of Object.values(tokenizer.specials)) expect(id >= 256 && id < BYTE_VOCAB_SIZE).toBe(true);
    expect(tokenizer.name).toMatch(/\S/);
  });

  it('encodes ASCII as its byte values and round-trips', () => {
    const text = 'GET /health 200 ok\ttab';
    const ids = tokenizer.encode(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual(Array.from(text, (c) => c.charCodeAt(0)));
    expect(decodeAll(tokenizer.createDecoder(), [ids])).toBe(text);
  });

  it('encodes multi-byte characters (accents, CJK, emoji) as their UTF-8 bytes and round-trips', () => {
    for (const text of ['héllo', '日本語のログ', '🚀🔥 deploy ✓', 'a\u0301', '\u{10FFFF}', '']) {
      const ids = tokenizer.encode(text);
      expect(Array.from(ids)).toEqual(Array.from(new TextEncoder().encode(text)));
      expect(decodeAll(tokenizer.createDecoder(), [ids])).toBe(text);
    }
  });

  it('encodes raw bytes as given', () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
    expect(Array.from(tokenizer.encode(bytes))).toEqual([0, 1, 127, 128, 254, 255]);
  });

  it('keeps a leading byte-order mark (content, not a marker)', () => {
    const text = '\uFEFFbom';
    const decoder = tokenizer.createDecoder();
    expect(decodeAll(decoder, [tokenizer.encode(text)])).toBe(text);
    expect(decodeAll(decoder, [tokenizer.encode(text)])).toBe(text); // and again after flush
  });

  it('adds BOS, EOS and the record separator per record when asked', () => {
    const t = new ByteTokenizer({ addBos: true, addEos: true, appendRecordSeparator: true });
    expect(Array.from(t.encode('ab'))).toEqual([BYTE_BOS, 97, 98, BYTE_EOS, BYTE_RECORD_SEPARATOR]);
    expect(Array.from(t.encode(''))).toEqual([BYTE_BOS, BYTE_EOS, BYTE_RECORD_SEPARATOR]);
    expect(Array.from(new ByteTokenizer({ appendRecordSeparator: true }).encode('x'))).toEqual([120, BYTE_RECORD_SEPARATOR]);
  });

  it('decodes specials to the default or configured text', () => {
    const ids = [BYTE_BOS, 104, 105, BYTE_EOS, BYTE_RECORD_SEPARATOR, BYTE_PAD, BYTE_PAD];
    expect(decodeAll(tokenizer.createDecoder(), [ids])).toBe('hi\n');
    const custom = new ByteTokenizer({ specialText: { bos: '<s>', eos: '</s>', recordSeparator: '|', pad: '_' } });
    expect(decodeAll(custom.createDecoder(), [ids])).toBe('<s>hi</s>|__');
  });

  it('joins a character split across decode calls', () => {
    const decoder = tokenizer.createDecoder();
    const euro = Array.from(tokenizer.encode('€')); // 3 bytes
    expect(decoder.decode(euro.slice(0, 1))).toBe('');
    expect(decoder.decode(euro.slice(1, 2))).toBe('');
    expect(decoder.decode(euro.slice(2))).toBe('€');
    expect(decoder.flush()).toBe('');
  });

  it('turns an unfinished character into U+FFFD at a special token or at flush', () => {
    const decoder = tokenizer.createDecoder();
    expect(decoder.decode([0xe2, 0x82, BYTE_RECORD_SEPARATOR, 0x41])).toBe('\uFFFD\nA');
    expect(decoder.decode([0xf0, 0x9f])).toBe('');
    expect(decoder.flush()).toBe('\uFFFD');
    expect(decodeAll(decoder, [[0x68, 0x69]])).toBe('hi'); // reusable after flush
  });

  it('rejects invalid token ids with their index and value, leaving the decoder unchanged', () => {
    const decoder = tokenizer.createDecoder();
    expect(decoder.decode([0xe2])).toBe('');
    for (const [bad, index] of [
      [[0x82, -1], 1],
      [[0x82, 0x82, BYTE_VOCAB_SIZE], 2],
      [[1.5], 0],
      [[0x82, Number.NaN], 1],
    ] as const) {
      let error: unknown;
      try {
        decoder.decode(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).code).toBe('ERR_INVALID_TOKEN');
      expect((error as InputError).message).toContain(`${String(bad[index])} at index ${index}`);
    }
    expect(decoder.decode([0x82, 0xac]) + decoder.flush()).toBe('€');
  });

  it('property: any string, encoded and decoded in arbitrary pieces, comes back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const ids = tokenizer.encode(text);
        expect(decodeAll(tokenizer.createDecoder(), splitAt(ids, cuts))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('property: piecewise decoding of any token stream equals decoding it whole', () => {
    const token = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 256, max: BYTE_VOCAB_SIZE - 1 }));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 64 }), fc.array(fc.nat(), { maxLength: 8 }), (list, cuts) => {
        const ids = Int32Array.from(list);
        const whole = decodeAll(tokenizer.createDecoder(), [ids]);
        expect(decodeAll(tokenizer.createDecoder(), splitAt(ids, cuts))).toBe(whole);
      }),
      { numRuns: 500 },
    );
  });
});
