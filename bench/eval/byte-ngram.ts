/**
 * An adaptive byte n-gram model (order 0 = unigram, 1 = bigram) that learns as it reads: every
 * byte is scored with the counts seen so far, then counted. Add-`alpha` smoothing over 256 bytes;
 * the bigram backs off by interpolating with the unigram (Witten–Bell weight).
 */
export class AdaptiveByteNgram {
  private readonly unigram = new Float64Array(256);
  private total = 0;
  private readonly bigram: Float64Array;
  private readonly contextTotal = new Float64Array(256);
  private readonly contextTypes = new Float64Array(256);
  private previous = 10;

  /**
   * @example
   * ```ts
   * const model = new AdaptiveByteNgram(1);
   * ```
   * @param order - 0 (unigram) or 1 (bigram).
   * @param alpha - Add-alpha smoothing of the unigram (default 0.5).
   */
  constructor(
    readonly order: 0 | 1,
    private readonly alpha = 0.5,
  ) {
    this.bigram = new Float64Array(order === 1 ? 256 * 256 : 0);
  }

  /**
   * Scores then learns `bytes`; the context carries over from the previous call.
   *
   * @example
   * ```ts
   * const bits = new AdaptiveByteNgram(0).surprise(new TextEncoder().encode('aaa')); // falling
   * ```
   * @param bytes - The bytes.
   * @returns Per-byte surprise −log₂ p in bits.
   */
  surprise(bytes: Uint8Array): Float64Array {
    const out = new Float64Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      const pUni = ((this.unigram[b] as number) + this.alpha) / (this.total + 256 * this.alpha);
      let p = pUni;
      if (this.order === 1) {
        const c = this.previous;
        const n = this.contextTotal[c] as number;
        const types = this.contextTypes[c] as number;
        if (n > 0) {
          const lambda = n / (n + types);
          p = lambda * ((this.bigram[c * 256 + b] as number) / n) + (1 - lambda) * pUni;
        }
        if (this.bigram[c * 256 + b] === 0) this.contextTypes[c] = types + 1;
        this.bigram[c * 256 + b] = (this.bigram[c * 256 + b] as number) + 1;
        this.contextTotal[c] = n + 1;
        this.previous = b;
      }
      out[i] = -Math.log2(p);
      this.unigram[b] = (this.unigram[b] as number) + 1;
      this.total++;
    }
    return out;
  }
}
