import { ConfigError } from '../errors/config-error.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { Seed } from '../random/seeded-random.js';

/** The kinds of anomaly {@link sampleLogLines} injects. */
export const SAMPLE_ANOMALY_KINDS = [
  /** An exception with its stack frames, from a service that never logs one otherwise. */
  'stack-trace',
  /** A request line with an HTTP status and error code never seen otherwise. */
  'unseen-error-code',
  /** A line of binary-looking noise (control and Latin-1 characters, no timestamp). */
  'garbled',
  /** A normal-looking request line from a service that does not otherwise exist. */
  'unknown-service',
  /** A normal-looking request line with a latency hundreds of times the usual. */
  'latency-spike',
] as const;

/** One of {@link SAMPLE_ANOMALY_KINDS}. */
export type SampleAnomalyKind = (typeof SAMPLE_ANOMALY_KINDS)[number];

/** The services that log in the sample (anomalies aside). */
export const SAMPLE_SERVICES = ['api-gateway', 'auth', 'orders', 'payments', 'inventory', 'search'] as const;

/** Options of {@link sampleLogLines}. */
export interface SampleLogOptions {
  /** Number of lines; `Infinity` for a never-ending sample. */
  count: number;
  /** PRNG seed: the same seed (and options) always gives the same lines. Default `0`. */
  seed?: Seed;
  /** Probability that a line after the warm-up is an anomaly, in [0, 1]. Default `0.005`. */
  anomalyRate?: number;
  /** Number of leading lines that are never anomalies (normal traffic to learn from). Default `100`. */
  warmup?: number;
}

/** One generated line and the ground truth about it. */
export interface SampleLogLine {
  /** 0-based index of the line. */
  readonly index: number;
  /** The log line, without a trailing newline. Never contains `\n` or `\r`. */
  readonly line: string;
  /** Whether the line is an injected anomaly. */
  readonly anomaly: boolean;
  /** Which anomaly, or `null` for a normal line. */
  readonly anomalyKind: SampleAnomalyKind | null;
}

/** Start of the simulated clock: 2024-01-15T08:00:00.000Z. */
const START_MS = Date.UTC(2024, 0, 15, 8, 0, 0, 0);
/** Mean gap between lines, in simulated milliseconds. */
const MEAN_GAP_MS = 40;
/** Each service reports its health every this many simulated milliseconds (round robin). */
const HEALTH_INTERVAL_MS = 5_000;

type Service = (typeof SAMPLE_SERVICES)[number];

interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: (rng: SeededRandom) => string;
  /** Median latency in ms. */
  readonly medianMs: number;
}

const SEARCH_TERMS = ['shoes', 'laptop', 'coffee', 'jacket', 'desk+lamp', 'headphones', 'tent', 'socks'];
const TABLES: Record<Service, string> = {
  'api-gateway': 'routes',
  auth: 'sessions',
  orders: 'orders',
  payments: 'ledger',
  inventory: 'stock',
  search: 'index_meta',
};

const ENDPOINTS: Record<Service, readonly Endpoint[]> = {
  'api-gateway': [
    { method: 'GET', path: () => '/v1/catalog', medianMs: 35 },
    { method: 'POST', path: () => '/v1/checkout', medianMs: 120 },
  ],
  auth: [
    { method: 'POST', path: () => '/v1/login', medianMs: 60 },
    { method: 'GET', path: () => '/v1/session', medianMs: 8 },
    { method: 'DELETE', path: () => '/v1/session', medianMs: 10 },
  ],
  orders: [
    { method: 'GET', path: (r) => `/v1/orders/${10_000 + r.nextInt(90_000)}`, medianMs: 25 },
    { method: 'POST', path: () => '/v1/orders', medianMs: 90 },
  ],
  payments: [
    { method: 'POST', path: () => '/v1/payments', medianMs: 180 },
    { method: 'GET', path: (r) => `/v1/payments/${r.nextUint32().toString(36)}`, medianMs: 30 },
  ],
  inventory: [
    { method: 'GET', path: (r) => `/v1/stock/SKU-${1000 + r.nextInt(9000)}`, medianMs: 12 },
    { method: 'PUT', path: (r) => `/v1/stock/SKU-${1000 + r.nextInt(9000)}`, medianMs: 40 },
  ],
  search: [{ method: 'GET', path: (r) => `/v1/search?q=${pick(r, SEARCH_TERMS)}`, medianMs: 70 }],
};

/** Statuses of normal traffic (cumulative weights out of 1000), with their usual error codes. */
const STATUSES: readonly { status: number; upTo: number; error?: string }[] = [
  { status: 200, upTo: 900 },
  { status: 304, upTo: 920 },
  { status: 400, upTo: 940, error: 'bad_request' },
  { status: 401, upTo: 960, error: 'unauthorized' },
  { status: 404, upTo: 985, error: 'not_found' },
  { status: 429, upTo: 990, error: 'rate_limited' },
  { status: 500, upTo: 995, error: 'internal' },
  { status: 503, upTo: 1000, error: 'upstream_timeout' },
];

const UNKNOWN_SERVICES = ['quantum-ledger', 'legacy-fax-bridge', 'x9-shadow-relay', 'mainframe-adapter', 'crypto-miner'];
const UNSEEN_ERRORS = [
  { status: 599, error: 'E_LEDGER_SKEW' },
  { status: 418, error: 'E_TEAPOT_PROTOCOL' },
  { status: 507, error: 'E_DISK_QUOTA_0x7f' },
  { status: 451, error: 'E_REGION_EMBARGO' },
];
const EXCEPTIONS = [
  'java.lang.NullPointerException: Cannot invoke "Ledger.post()" because "ledger" is null',
  'java.lang.IllegalStateException: entry out of balance',
  'java.util.ConcurrentModificationException',
  'org.postgresql.util.PSQLException: FATAL: terminating connection due to administrator command',
];
const FRAMES = [
  'com.acme.payments.Ledger.post(Ledger.java:214)',
  'com.acme.payments.SettlementWorker.run(SettlementWorker.java:88)',
  'com.acme.orders.OrderService.place(OrderService.java:131)',
  'java.base/java.util.ArrayList$Itr.next(ArrayList.java:1000)',
  'java.base/java.lang.Thread.run(Thread.java:833)',
];

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.nextInt(items.length)] as T;
}

function hex8(rng: SeededRandom): string {
  return rng.nextUint32().toString(16).padStart(8, '0');
}

function prefix(timeMs: number, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', service: string): string {
  return `${new Date(timeMs).toISOString()} ${level.padEnd(5)} ${service}: `;
}

interface RequestFields {
  readonly service: string;
  readonly endpoint: Endpoint;
  readonly status: number;
  readonly latencyMs: number;
  readonly error: string | undefined;
  /** Overrides the level the status and latency imply. */
  readonly level?: 'ERROR';
}

function requestLine(timeMs: number, rng: SeededRandom, f: RequestFields): string {
  const implied = f.status >= 500 ? 'ERROR' : f.latencyMs > 800 || f.status === 429 ? 'WARN' : 'INFO';
  const level = f.level ?? implied;
  const error = f.error === undefined ? '' : ` error=${f.error}`;
  return (
    prefix(timeMs, level, f.service) +
    `req=${hex8(rng)} method=${f.endpoint.method} path=${f.endpoint.path(rng)} status=${f.status} ` +
    `latency_ms=${f.latencyMs} user=u${1000 + rng.nextInt(9000)}${error}`
  );
}

function normalRequest(rng: SeededRandom): RequestFields {
  const service = pick(rng, SAMPLE_SERVICES);
  const endpoint = pick(rng, ENDPOINTS[service]);
  const roll = rng.nextInt(1000);
  const status = STATUSES.find((s) => roll < s.upTo) ?? { status: 200, upTo: 1000 };
  // Log-normal latency around the endpoint's median; errors are fast or time out.
  let latencyMs = Math.max(1, Math.round(endpoint.medianMs * Math.exp(rng.normal(0, 0.5))));
  if (status.status === 503) latencyMs = 3000 + rng.nextInt(2000);
  const code = endpoint.method === 'POST' && status.status === 200 ? 201 : status.status;
  return { service, endpoint, status: code, latencyMs, error: status.error };
}

/** The clock, health-check schedule and counters of the normal traffic. */
class NormalTraffic {
  timeMs = START_MS;
  private nextHealthMs = START_MS + HEALTH_INTERVAL_MS;
  private healthTurn = 0;
  private settlementBatch = 1000;

  constructor(private readonly rng: SeededRandom) {}

  /** Advances the clock and returns the next normal line. */
  next(): string {
    const rng = this.rng;
    this.timeMs += 1 + Math.floor(-Math.log(1 - rng.next()) * MEAN_GAP_MS);
    if (this.timeMs >= this.nextHealthMs) {
      const service = SAMPLE_SERVICES[this.healthTurn % SAMPLE_SERVICES.length] as Service;
      this.healthTurn += 1;
      this.nextHealthMs += HEALTH_INTERVAL_MS;
      const uptime = Math.floor((this.timeMs - START_MS) / 1000) + 86_400;
      return prefix(this.timeMs, 'INFO', 'health') + `service=${service} status=ok uptime_s=${uptime} heap_mb=${180 + rng.nextInt(60)}`;
    }
    const roll = rng.nextInt(100);
    if (roll < 80) return requestLine(this.timeMs, rng, normalRequest(rng));
    const service = pick(rng, SAMPLE_SERVICES);
    if (roll < 92) {
      return prefix(this.timeMs, 'DEBUG', service) + `db.query table=${TABLES[service]} rows=${rng.nextInt(50)} duration_ms=${1 + rng.nextInt(15)}`;
    }
    if (roll < 99) {
      const hit = rng.next() < 0.8;
      return prefix(this.timeMs, 'DEBUG', service) + `cache ${hit ? 'hit' : 'miss'} key=${service}:${hex8(rng).slice(0, 6)}`;
    }
    this.settlementBatch += 1;
    return prefix(this.timeMs, 'INFO', 'payments') + `settlement batch=${this.settlementBatch} items=${5 + rng.nextInt(60)} duration_ms=${200 + rng.nextInt(600)}`;
  }
}

function anomalyLine(kind: SampleAnomalyKind, timeMs: number, rng: SeededRandom): string {
  switch (kind) {
    case 'stack-trace': {
      const frames = Array.from({ length: 2 + rng.nextInt(3) }, () => `at ${pick(rng, FRAMES)}`);
      return prefix(timeMs, 'ERROR', pick(rng, ['payments', 'orders'])) + `unhandled exception ${pick(rng, EXCEPTIONS)} ${frames.join(' ')}`;
    }
    case 'unseen-error-code': {
      const base = normalRequest(rng);
      const unseen = pick(rng, UNSEEN_ERRORS);
      return requestLine(timeMs, rng, { ...base, status: unseen.status, error: unseen.error, level: 'ERROR' });
    }
    case 'garbled': {
      const length = 30 + rng.nextInt(90);
      let text = '';
      for (let i = 0; i < length; i++) {
        let code = rng.nextInt(256);
        if (code === 0x0a || code === 0x0d) code = 0xfe; // stay on one line
        text += String.fromCharCode(code);
      }
      return text;
    }
    case 'unknown-service':
      return requestLine(timeMs, rng, { ...normalRequest(rng), service: pick(rng, UNKNOWN_SERVICES) });
    case 'latency-spike':
      return requestLine(timeMs, rng, { ...normalRequest(rng), status: 200, error: undefined, latencyMs: 30_000 + rng.nextInt(90_000) });
  }
}

function checkOptions(options: SampleLogOptions): Required<SampleLogOptions> {
  const { count, seed = 0, anomalyRate = 0.005, warmup = 100 } = options;
  if (!(count === Infinity || (Number.isInteger(count) && count >= 0))) {
    throw new ConfigError('count', `must be a non-negative integer or Infinity, got ${String(count)}`);
  }
  if (!(anomalyRate >= 0 && anomalyRate <= 1)) {
    throw new ConfigError('anomalyRate', `must be a number in [0, 1], got ${String(anomalyRate)}`);
  }
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new ConfigError('warmup', `must be a non-negative integer, got ${String(warmup)}`);
  }
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new ConfigError('seed', `must be a safe integer or a string, got ${String(seed)}`);
  }
  return { count, seed, anomalyRate, warmup };
}

/**
 * Deterministic, seeded service logs with injected anomalies whose positions are known: the
 * built-in input of titans-stream, and ground truth for tests and benchmarks.
 *
 * Normal traffic: an advancing clock, six services, request ids, log-normal latencies, a
 * realistic mix of HTTP statuses (including ordinary 4xx/5xx), DEBUG database and cache lines,
 * a health check every 5 simulated seconds and occasional settlement jobs. After `warmup` lines,
 * each line is replaced by an anomaly (see {@link SAMPLE_ANOMALY_KINDS}) with probability
 * `anomalyRate`. Normal lines do not depend on `anomalyRate`: two samples with the same seed
 * differ exactly at anomaly indices.
 *
 * @example
 * ```ts
 * const lines = [...sampleLogLines({ count: 1000, seed: 7 })];
 * const anomalies = lines.filter((l) => l.anomaly).map((l) => l.index);
 * ```
 * @param options - Count, seed, anomaly rate and warm-up.
 * @returns A lazy iterator over the lines (use `[...]` or `Array.from` for an array).
 * @throws ConfigError if an option is out of range (thrown at the call, not on iteration).
 */
export function sampleLogLines(options: SampleLogOptions): IterableIterator<SampleLogLine> {
  const { count, seed, anomalyRate, warmup } = checkOptions(options);
  return generate(count, seed, anomalyRate, warmup);
}

function* generate(count: number, seed: Seed, anomalyRate: number, warmup: number): Generator<SampleLogLine, void, undefined> {
  // Separate streams, so that anomalies neither shift nor change the normal traffic.
  const root = new SeededRandom(seed);
  const traffic = new NormalTraffic(root.fork());
  const schedule = root.fork();
  const anomalies = root.fork();
  for (let index = 0; index < count; index++) {
    const line = traffic.next();
    const roll = index >= warmup ? schedule.next() : 1;
    if (roll < anomalyRate) {
      const kind = pick(anomalies, SAMPLE_ANOMALY_KINDS);
      yield { index, line: anomalyLine(kind, traffic.timeMs, anomalies), anomaly: true, anomalyKind: kind };
    } else {
      yield { index, line, anomaly: false, anomalyKind: null };
    }
  }
}
