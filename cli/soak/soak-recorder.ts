import { quantile } from '../../src/metrics/index.js';
import type { SoakProbe } from './soak-layer.js';
import type { SoakSample } from './soak-report.js';

/**
 * Collects a soak run's series: chunk latencies as they come, and a sample every time it is
 * asked. An interval's throughput counts the time from the end of the previous sample to the
 * start of this one, so the probe's own cost is left out.
 */
export class SoakRecorder {
  readonly samples: SoakSample[] = [];
  #latencies: number[] = [];
  #intervalStart: number;
  #intervalTokens = 0;

  /** @param started - `performance.now()` at the start of ingestion. */
  constructor(private readonly started: number) {
    this.#intervalStart = started;
  }

  /** Records the latency of one chunk, in milliseconds. */
  chunk(latencyMs: number): void {
    this.#latencies.push(latencyMs);
  }

  /**
   * Takes a sample now.
   *
   * @param tokens - Tokens absorbed so far.
   * @param records - Records completed so far.
   * @param probe - Reads the layer's tensors and weight norms.
   * @returns The sample (also appended to {@link samples}).
   */
  async sample(tokens: number, records: number, probe: () => Promise<SoakProbe>): Promise<SoakSample> {
    const now = performance.now();
    const { numTensors, weightNorms } = await probe();
    const memory = process.memoryUsage();
    const latencies = this.#latencies;
    const sample: SoakSample = {
      tokens,
      seconds: (now - this.started) / 1000,
      tokensPerSec: ((tokens - this.#intervalTokens) * 1000) / Math.max(1e-9, now - this.#intervalStart),
      records,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      numTensors,
      weightNorm: {
        max: weightNorms.length === 0 ? 0 : Math.max(...weightNorms),
        mean: weightNorms.length === 0 ? 0 : weightNorms.reduce((a, b) => a + b, 0) / weightNorms.length,
      },
      // With no chunk in the interval every latency figure is NaN (null in JSON).
      latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length === 0 ? NaN : latencies.reduce((a, b) => Math.max(a, b)), chunks: latencies.length },
    };
    this.samples.push(sample);
    this.#latencies = [];
    this.#intervalTokens = tokens;
    this.#intervalStart = performance.now();
    return sample;
  }
}
