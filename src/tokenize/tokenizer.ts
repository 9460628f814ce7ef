/**
 * Turns decoded token ids back into text, incrementally. `decode` may be called any number of
 * times with arbitrary splits of a token stream; the concatenation of every `decode` result and
 * the final `flush` equals decoding the whole stream at once.
 *
 * @example
 * ```ts
 * const decoder = tokenizer.createDecoder();
 * let text = '';
 * for await (const tokens of predictions) text += decoder.decode(tokens);
 * text += decoder.flush();
 * ```
 */
export interface TokenDecoder {
  /**
   * Decodes the next piece of the token stream. Text that depends on tokens not yet seen (e.g.
   * the rest of a multi-byte character) is held back until a later call.
   *
   * @param tokens - The next token ids.
   * @returns The text that is complete so far.
   * @throws InputError (`ERR_INVALID_TOKEN`) if a token id is not in the vocabulary; the
   *   decoder's state is then unchanged.
   */
  decode(tokens: ArrayLike<number>): string;
  /**
   * Ends the stream: returns whatever was held back (incomplete sequences become U+FFFD) and
   * resets the decoder for reuse.
   *
   * @returns The remaining text.
   */
  flush(): string;
}

/**
 * A tokenizer: text or bytes to token ids and back. The byte-level {@link ByteTokenizer} is the
 * default; others (BPE, …) plug in through this interface.
 *
 * @example
 * ```ts
 * function tokensOf(tokenizer: Tokenizer, record: SourceRecord): Int32Array {
 *   return record.tokens ?? tokenizer.encode(record.value);
 * }
 * ```
 */
export interface Tokenizer {
  /** Stable name, recorded in checkpoints so that a model is never fed another tokenizer's ids. */
  readonly name: string;
  /** Number of token ids: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** The special tokens by name (e.g. `bos`, `eos`), with their ids. */
  readonly specials: Readonly<Record<string, number>>;
  /**
   * Encodes one record.
   *
   * @param value - Text (encoded as UTF-8 first, if the tokenizer works on bytes) or raw bytes.
   * @returns The token ids, a new array.
   */
  encode(value: Uint8Array | string): Int32Array;
  /**
   * Creates a streaming decoder with its own state.
   *
   * @returns A fresh {@link TokenDecoder}.
   */
  createDecoder(): TokenDecoder;
}
