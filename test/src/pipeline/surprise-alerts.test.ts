import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { surpriseAlerts, type ChunkResult, type MemoryEvent, type RecordScore } from '../../../src/pipeline/index.js';
import { fromIterable, toArray } from '../../../src/stream/index.js';

function score(key: string, index: number, meanLoss: number): RecordScore {
  return { type: 'record', key, record: { value: '', position: { kind: 'stream', stream: key, index } }, tokens: 1, meanLoss, maxLoss: meanLoss, meanSurprise: 0, maxSurprise: 0 };
}

function chunk(records: RecordScore[]): ChunkResult {
  return {
    type: 'chunk',
    key: records[0]?.key ?? 'k',
    chunk: { key: 'k', sequence: 0, tokens: new Int32Array(), spans: [] },
    loss: new Float32Array(),
    surprise: new Float32Array(),
    records,
    tokensSeen: 0,
    snapshot: () => Promise.reject(new Error('unused')),
  };
}

describe('surpriseAlerts', () => {
  it('emits nothing for an empty source', async () => {
    expect(await toArray(surpriseAlerts({ threshold: 1 })(fromIterable([])))).toEqual([]);
  });

  it('flags records above a fixed threshold with their position and score', async () => {
    const events: MemoryEvent[] = [chunk([score('a', 0, 0.5), score('a', 1, 2.5)]), chunk([score('a', 2, 0.1)])];
    const alerts = await toArray(surpriseAlerts({ threshold: 1 })(fromIterable(events)));
    expect(alerts.map((a) => [a.position, a.score, a.bound, a.reason])).toEqual([[{ kind: 'stream', stream: 'a', index: 1 }, 2.5, 1, 'threshold']]);
  });

  it('flags records above a running quantile of their own key, after the warm-up', async () => {
    const normal = Array.from({ length: 200 }, (_, i) => score('a', i, 1 + (i % 10) / 100));
    const spike = score('a', 200, 5);
    const otherKey = Array.from({ length: 50 }, (_, i) => score('b', i, 100 + i));
    const alerts = await toArray(surpriseAlerts({ quantile: 0.99, window: 100, warmup: 50 })(fromIterable([chunk(normal), chunk(otherKey), chunk([spike])])));
    expect(alerts.map((a) => a.position)).toEqual([spike.record.position]);
    expect(alerts[0]?.reason).toBe('quantile');
    expect(alerts[0]?.bound).toBeCloseTo(1.09, 5);
  });

  it('rejects missing or bad settings with a ConfigError naming the field', () => {
    expect(() => surpriseAlerts({})).toThrow(ConfigError);
    expect(() => surpriseAlerts({ quantile: 1.5 })).toThrow(/surpriseAlerts.quantile/);
    expect(() => surpriseAlerts({ threshold: 1, window: 0 })).toThrow(/surpriseAlerts.window/);
  });

  it('passes an upstream error through', async () => {
    async function* failing(): AsyncGenerator<MemoryEvent> {
      yield chunk([score('a', 0, 3)]);
      throw new Error('upstream');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const a of surpriseAlerts({ threshold: 1 })(failing())) seen.push(a.score);
      })(),
    ).rejects.toThrow('upstream');
    expect(seen).toEqual([3]);
  });
});
