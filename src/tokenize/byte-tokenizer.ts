import { InputError } from '../errors/input-error.js';
import type { TokenDecoder, Tokenizer } from './tokenizer.js';

/** Token id of "begin of sequence" in {@link ByteTokenizer}. Ids 0..255 are the bytes. */
export const BYTE_BOS = 256;
/** Token id of "end of sequence" in {@link ByteTokenizer}. */
export const BYTE_EOS = 257;
/** Token id that separates records (lines, messages) in {@link ByteTokenizer}. */
export const BYTE_RECORD_SEPARATOR = 258;
/** Token id of padding in {@link ByteTokenizer}. */
export const BYTE_PAD = 259;
/** Vocabulary size of {@link ByteTokenizer}: 256 bytes and 4 specials. */
export const BYTE_VOCAB_SIZE = 260;

/** Text that each special token decodes to. */
export interface ByteSpecialText {
  /** Default `""`. */
  bos?: string;
  /** Default `""`. */
  eos?: string;
  /** Default `"\n"`, so that decoded records come out one per line. */
  recordSeparator?: string;
  /** Default `""`. */
  pad?: string;
}

/** Options of {@link ByteTokenizer}. */
export interface ByteTokenizerOptions {
  /** Prepend {@link BYTE_BOS} to every encoded record. Default `false`. */
  addBos?: boolean;
  /** Append {@link BYTE_EOS} to every encoded record. Default `false`. */
  addEos?: boolean;
  /** Append {@link BYTE_RECORD_SEPARATOR} to every encoded record (after EOS). Default `false`. */
  appendRecordSeparator?: boolean;
  /** What the special tokens decode to. */
  specialText?: ByteSpecialText;
}

/**
 * Byte-level UTF-8 tokenizer: ids 0..255 are the bytes of the UTF-8 encoding, followed by the
 * specials BOS (256), EOS (257), RECORD_SEPARATOR (258) and PAD (259). Any text or binary input
 * encodes losslessly, with no vocabulary to ship.
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer({ appendRecordSeparator: true });
 * const ids = tokenizer.encode('héllo'); // Int32Array [104, 195, 169, 108, 108, 111, 258]
 * const decoder = tokenizer.createDecoder();
 * decoder.decode(ids) + decoder.flush(); // "héllo\n"
 * ```
 */
export class ByteTokenizer implements Tokenizer {
  readonly name = 'byte-utf8';
  readonly vocabSize = BYTE_VOCAB_SIZE;
  readonly specials: Readonly<Record<string, number>> = Object.freeze({
    bos: BYTE_BOS,
    eos: BYTE_EOS,
    recordSeparator: BYTE_RECORD_SEPARATOR,
    pad: BYTE_PAD,
  });

  private readonly addBos: boolean;
  private readonly addEos: boolean;
  private readonly appendRecordSeparator: boolean;
  private readonly specialText: Required<ByteSpecialText>;
  private readonly encoder = new TextEncoder();

  /**
   * @param options - Specials to add per record and the text specials decode to.
   */
  constructor(options: ByteTokenizerOptions = {}) {
    this.addBos = options.addBos ?? false;
    this.addEos = options.addEos ?? false;
    this.appendRecordSeparator = options.appendRecordSeparator ?? false;
    this.specialText = {
      bos: options.specialText?.bos ?? '',
      eos: options.specialText?.eos ?? '',
      recordSeparator: options.specialText?.recordSeparator ?? '\n',
      pad: options.specialText?.pad ?? '',
    };
  }

  /**
   * Encodes one record: its UTF-8 bytes (or the bytes as given), with the configured specials.
   *
   * @example
   * ```ts
   * new ByteTokenizer({ addBos: true }).encode(new Uint8Array([0, 255])); // [256, 0, 255]
   * ```
   * @param value - Text (encoded as UTF-8; lone surrogates become U+FFFD) or raw bytes.
   * @returns The token ids.
   */
  encode(value: Uint8Array | string): Int32Array {
    const bytes = typeof value === 'string' ? this.encoder.encode(value) : value;
    const prefix = this.addBos ? 1 : 0;
    const out = new Int32Array(prefix + bytes.length + (this.addEos ? 1 : 0) + (this.appendRecordSeparator ? 1 : 0));
    let i = 0;
    if (this.addBos) out[i++] = BYTE_BOS;
    out.set(bytes, i);
    i += bytes.length;
    if (this.addEos) out[i++] = BYTE_EOS;
    if (this.appendRecordSeparator) out[i] = BYTE_RECORD_SEPARATOR;
    return out;
  }

  /**
   * Creates a streaming decoder. A character whose bytes are split across `decode` calls comes
   * out whole; a special token in the middle of a character ends it (as U+FFFD).
   *
   * @example
   * ```ts
   * const d = new ByteTokenizer().createDecoder();
   * d.decode([0xe2, 0x82]) + d.decode([0xac]) + d.flush(); // "€"
   * ```
   * @returns A fresh decoder.
   */
  createDecoder(): TokenDecoder {
    return new ByteDecoder(this.specialText);
  }
}

/** Streaming decoder of {@link ByteTokenizer} ids. */
class ByteDecoder implements TokenDecoder {
  // ignoreBOM: a leading U+FEFF is content here, not a marker to drop.
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private scratch = new Uint8Array(256);

  constructor(private readonly specialText: Required<ByteSpecialText>) {}

  decode(tokens: ArrayLike<number>): string {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= BYTE_VOCAB_SIZE) {
        throw new InputError(
          'ERR_INVALID_TOKEN',
          `invalid byte token id ${String(t)} at index ${i} (ids must be integers in [0, ${BYTE_VOCAB_SIZE}))`,
        );
      }
    }
    if (this.scratch.length < tokens.length) this.scratch = new Uint8Array(tokens.length);
    let out = '';
    let run = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as number;
      if (t < 256) {
        this.scratch[run++] = t;
        continue;
      }
      // A special ends the byte run; an unfinished character before it becomes U+FFFD.
      out += this.utf8.decode(this.scratch.subarray(0, run), { stream: true }) + this.utf8.decode();
      run = 0;
      out += this.textOf(t);
    }
    return out + this.utf8.decode(this.scratch.subarray(0, run), { stream: true });
  }

  flush(): string {
    return this.utf8.decode();
  }

  private textOf(special: number): string {
    switch (special) {
      case BYTE_BOS:
        return this.specialText.bos;
      case BYTE_EOS:
        return this.specialText.eos;
      case BYTE_RECORD_SEPARATOR:
        return this.specialText.recordSeparator;
      default:
        return this.specialText.pad;
    }
  }
}
