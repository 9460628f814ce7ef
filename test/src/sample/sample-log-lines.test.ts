import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { SAMPLE_ANOMALY_KINDS, SAMPLE_SERVICES, sampleLogLines } from '../../../src/sample/index.js';
import type { SampleAnomalyKind, SampleLogLine } from '../../../src/sample/index.js';

const HEAD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (DEBUG|INFO |WARN |ERROR) ([a-z0-9-]+): (.*)$/;
const REQUEST = /^req=[0-9a-f]{8} method=(GET|POST|PUT|DELETE) path=\/v1\/\S+ status=(\d{3}) latency_ms=(\d+) user=u\d{4}(?: error=(\S+))?$/;
const HEALTH = /^service=([a-z-]+) status=ok uptime_s=\d+ heap_mb=\d+$/;
const OTHER = /^(db\.query table=\w+ rows=\d+ duration_ms=\d+|cache (hit|miss) key=[a-z-]+:[0-9a-f]{6}|settlement batch=\d+ items=\d+ duration_ms=\d+)$/;
const KNOWN_STATUSES = new Set([200, 201, 304, 400, 401, 404, 429, 500, 503]);
const KNOWN_ERRORS = new Set([undefined, 'bad_request', 'unauthorized', 'not_found', 'rate_limited', 'internal', 'upstream_timeout']);
const services = new Set<string>(SAMPLE_SERVICES);

/** Independent judgement of a line: what a reader of the log would call it. */
function classify(line: string): SampleAnomalyKind | 'normal' | 'unparsed' {
  const head = HEAD.exec(line);
  if (!head) return 'garbled';
  const [, , , service = '', rest = ''] = head;
  if (rest.startsWith('unhandled exception ') && / at \S+\(\w+\.java:\d+\)/.test(rest)) return 'stack-trace';
  if (service === 'health') {
    const health = HEALTH.exec(rest);
    return health && services.has(health[1] ?? '') ? 'normal' : 'unparsed';
  }
  const request = REQUEST.exec(rest);
  if (request) {
    if (!services.has(service)) return 'unknown-service';
    if (!KNOWN_STATUSES.has(Number(request[2])) || !KNOWN_ERRORS.has(request[4])) return 'unseen-error-code';
    if (Number(request[3]) > 10_000) return 'latency-spike';
    return 'normal';
  }
  return services.has(service) && OTHER.test(rest) ? 'normal' : 'unparsed';
}

function timeOf(line: string): number | undefined {
  const head = HEAD.exec(line);
  return head ? Date.parse(head[1] ?? '') : undefined;
}

describe('sampleLogLines', () => {
  it('is deterministic: same seed, same lines; another seed, other lines', () => {
    const a = [...sampleLogLines({ count: 2000, seed: 3, anomalyRate: 0.02 })];
    const b = [...sampleLogLines({ count: 2000, seed: 3, anomalyRate: 0.02 })];
    expect(b).toEqual(a);
    const c = [...sampleLogLines({ count: 2000, seed: 4, anomalyRate: 0.02 })];
    expect(c.map((l) => l.line)).not.toEqual(a.map((l) => l.line));
    expect([...sampleLogLines({ count: 50, seed: 'logs' })]).toEqual([...sampleLogLines({ count: 50, seed: 'logs' })]);
  });

  it('reports exactly the lines that are anomalies, with the right kind', () => {
    const lines = [...sampleLogLines({ count: 20_000, seed: 11, anomalyRate: 0.01 })];
    const mismatches = lines
      .map((l) => ({ ...l, judged: classify(l.line) }))
      .filter((l) => l.judged !== (l.anomalyKind ?? 'normal'));
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(lines.every((l) => l.anomaly === (l.anomalyKind !== null))).toBe(true);
    expect(lines.map((l) => l.index)).toEqual(lines.map((_, i) => i));
    const kinds = new Set(lines.map((l) => l.anomalyKind).filter((k) => k !== null));
    expect([...kinds].sort()).toEqual([...SAMPLE_ANOMALY_KINDS].sort());
  });

  it('injects anomalies at roughly the requested rate, never during the warm-up', () => {
    const count = 20_000;
    const warmup = 500;
    const rate = 0.01;
    const lines = [...sampleLogLines({ count, seed: 5, anomalyRate: rate, warmup })];
    const anomalies = lines.filter((l) => l.anomaly);
    const expected = (count - warmup) * rate;
    expect(Math.abs(anomalies.length - expected)).toBeLessThan(5 * Math.sqrt(expected)); // ±5σ
    expect(Math.min(...anomalies.map((l) => l.index))).toBeGreaterThanOrEqual(warmup);
    expect([...sampleLogLines({ count: 5000, seed: 5, anomalyRate: 0 })].some((l) => l.anomaly)).toBe(false);
    expect([...sampleLogLines({ count: 300, seed: 5, anomalyRate: 1, warmup: 100 })].filter((l) => l.anomaly)).toHaveLength(200);
  });

  it('keeps normal traffic independent of the anomaly rate', () => {
    const few = [...sampleLogLines({ count: 5000, seed: 8, anomalyRate: 0.01 })];
    const many = [...sampleLogLines({ count: 5000, seed: 8, anomalyRate: 0.1 })];
    const fewSet = new Set(few.filter((l) => l.anomaly).map((l) => l.index));
    const manySet = new Set(many.filter((l) => l.anomaly).map((l) => l.index));
    expect([...fewSet].every((i) => manySet.has(i))).toBe(true);
    expect(manySet.size).toBeGreaterThan(fewSet.size);
    for (let i = 0; i < few.length; i++) {
      if (!manySet.has(i)) expect(many[i]?.line).toBe(few[i]?.line);
    }
  });

  it('advances the clock and reports health every 5 s, round robin over the services', () => {
    const lines = [...sampleLogLines({ count: 5000, seed: 2, anomalyRate: 0.01 })];
    const times = lines.map((l) => timeOf(l.line)).filter((t): t is number => t !== undefined);
    expect(times.length).toBeGreaterThan(4900);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] ?? 0);
    const health = lines.filter((l) => !l.anomaly && / health: /.test(l.line));
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    expect(Math.abs(health.length - span / 5000)).toBeLessThanOrEqual(2);
    const order = health.map((l) => /service=([a-z-]+)/.exec(l.line)?.[1]);
    expect(order.slice(0, 12)).toEqual([...SAMPLE_SERVICES, ...SAMPLE_SERVICES]);
    expect(lines.every((l) => !/[\n\r]/.test(l.line))).toBe(true);
  });

  it('is lazy: a never-ending sample can be consumed in part', () => {
    const iterator = sampleLogLines({ count: Infinity, seed: 1 });
    let last: SampleLogLine | undefined;
    for (const line of iterator) {
      last = line;
      if (line.index === 9999) break;
    }
    expect(last?.index).toBe(9999);
    expect(last?.line).toBe([...sampleLogLines({ count: 10_000, seed: 1 })][9999]?.line);
    expect([...sampleLogLines({ count: 0 })]).toEqual([]);
  });

  it('rejects invalid options with a ConfigError naming the field', () => {
    const bad: [Parameters<typeof sampleLogLines>[0], string][] = [
      [{ count: -1 }, 'count'],
      [{ count: 1.5 }, 'count'],
      [{ count: Number.NaN }, 'count'],
      [{ count: 10, anomalyRate: 1.5 }, 'anomalyRate'],
      [{ count: 10, anomalyRate: Number.NaN }, 'anomalyRate'],
      [{ count: 10, warmup: -1 }, 'warmup'],
      [{ count: 10, seed: 0.5 }, 'seed'],
    ];
    for (const [options, field] of bad) {
      expect(() => sampleLogLines(options)).toThrow(ConfigError);
      try {
        sampleLogLines(options);
      } catch (e) {
        expect((e as ConfigError).field).toBe(field);
      }
    }
  });
});
