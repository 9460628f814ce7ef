import { ConfigError } from '../errors/config-error.js';
import type { CounterMetric, GaugeMetric, MetricsRegistry, ObserverMetric } from './metrics-registry.js';
import { quantile } from './quantile.js';

/** Options of {@link SimpleMetricsRegistry}. */
export interface SimpleMetricsRegistryOptions {
  /** Observations a summary keeps for its quantiles (the most recent ones). Default 10,000. */
  readonly summaryWindow?: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A metric as it renders itself. */
interface Rendered {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary';
  collect?(): Promise<void>;
  lines(): string[];
}

function formatValue(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return String(x);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A small in-process {@link MetricsRegistry} rendering the Prometheus text format (version 0.0.4):
 * counters, gauges (optionally collected at scrape time), cumulative histograms and summaries
 * over a sliding window of recent observations. No labels.
 *
 * @example
 * ```ts
 * const registry = new SimpleMetricsRegistry();
 * const latency = registry.histogram('titans_chunk_latency_seconds', 'Chunk latency', [0.001, 0.01, 0.1]);
 * latency.observe(0.004);
 * ```
 */
export class SimpleMetricsRegistry implements MetricsRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #metrics = new Map<string, Rendered>();
  readonly #window: number;

  /**
   * @param options - the summaries' window.
   * @throws {ConfigError} for a bad window.
   */
  constructor(options: SimpleMetricsRegistryOptions = {}) {
    this.#window = options.summaryWindow ?? 10_000;
    if (!(Number.isSafeInteger(this.#window) && this.#window > 0)) throw new ConfigError('summaryWindow', `must be a positive integer, got ${this.#window}`);
  }

  counter(name: string, help: string): CounterMetric {
    let value = 0;
    this.#add({ name, help, type: 'counter', lines: () => [`${name} ${formatValue(value)}`] });
    return {
      inc(by = 1) {
        if (!(by >= 0)) throw new RangeError(`counter ${name} can only increase (inc by ${by})`);
        value += by;
      },
    };
  }

  gauge(name: string, help: string, collect?: () => number | Promise<number>): GaugeMetric {
    let value = 0;
    const gauge = { set: (v: number) => void (value = v) };
    this.#add({
      name,
      help,
      type: 'gauge',
      ...(collect === undefined ? {} : { collect: async () => gauge.set(await collect()) }),
      lines: () => [`${name} ${formatValue(value)}`],
    });
    return gauge;
  }

  histogram(name: string, help: string, buckets: readonly number[]): ObserverMetric {
    const bounds = [...buckets];
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))) {
      throw new ConfigError(`histogram ${name} buckets`, `must be finite and strictly increasing, got ${JSON.stringify(buckets)}`);
    }
    const counts = new Array<number>(bounds.length).fill(0);
    let count = 0;
    let sum = 0;
    this.#add({
      name,
      help,
      type: 'histogram',
      lines: () => {
        const lines: string[] = [];
        let cumulative = 0;
        bounds.forEach((bound, i) => {
          cumulative += counts[i] as number;
          lines.push(`${name}_bucket{le="${formatValue(bound)}"} ${cumulative}`);
        });
        lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${formatValue(sum)}`, `${name}_count ${count}`);
        return lines;
      },
    });
    return {
      observe(v) {
        count += 1;
        sum += v;
        const i = bounds.findIndex((b) => v <= b);
        if (i >= 0) counts[i] = (counts[i] as number) + 1;
      },
    };
  }

  summary(name: string, help: string, quantiles: readonly number[]): ObserverMetric {
    if (quantiles.some((q) => !(q >= 0 && q <= 1))) throw new ConfigError(`summary ${name} quantiles`, `must lie in [0, 1], got ${JSON.stringify(quantiles)}`);
    const recent = new Float64Array(this.#window);
    let stored = 0;
    let next = 0;
    let count = 0;
    let sum = 0;
    this.#add({
      name,
      help,
      type: 'summary',
      lines: () => {
        const window = recent.subarray(0, stored);
        return [...quantiles.map((q) => `${name}{quantile="${q}"} ${formatValue(quantile(window, q))}`), `${name}_sum ${formatValue(sum)}`, `${name}_count ${count}`];
      },
    });
    const capacity = this.#window;
    return {
      observe(v) {
        count += 1;
        sum += v;
        recent[next] = v;
        next = (next + 1) % capacity;
        stored = Math.min(capacity, stored + 1);
      },
    };
  }

  async metrics(): Promise<string> {
    const metrics = [...this.#metrics.values()];
    await Promise.all(metrics.map((m) => m.collect?.()));
    return metrics.map((m) => [`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()].join('\n')).join('\n') + '\n';
  }

  #add(metric: Rendered): void {
    if (!NAME.test(metric.name)) throw new ConfigError('metric name', `"${metric.name}" is not a valid Prometheus metric name`);
    if (this.#metrics.has(metric.name)) throw new ConfigError('metric name', `"${metric.name}" is already registered`);
    this.#metrics.set(metric.name, metric);
  }
}
