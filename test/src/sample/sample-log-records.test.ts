import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { sampleLogLines, sampleLogRecords } from '../../../src/sample/index.js';

async function collect(source: AsyncIterable<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of source) out.push(record);
  return out;
}

describe('sampleLogRecords', () => {
  it('yields the sample lines as string records with stream positions', async () => {
    const options = { count: 3000, seed: 9, anomalyRate: 0.01 };
    const records = await collect(sampleLogRecords(options));
    const lines = [...sampleLogLines(options)];
    expect(records.map((r) => r.value)).toEqual(lines.map((l) => l.line));
    expect(records.map((r) => r.position)).toEqual(lines.map((_, index) => ({ kind: 'stream', stream: 'sample-logs', index })));
    const named = await collect(sampleLogRecords({ count: 2, stream: 'demo' }));
    expect(named.map((r) => r.position)).toEqual([
      { kind: 'stream', stream: 'demo', index: 0 },
      { kind: 'stream', stream: 'demo', index: 1 },
    ]);
  });

  it('can be iterated again from the start', async () => {
    const source = sampleLogRecords({ count: 20, seed: 1 });
    expect(await collect(source)).toEqual(await collect(source));
  });

  it('yields nothing for count 0 and validates options at the call', async () => {
    expect(await collect(sampleLogRecords({ count: 0 }))).toEqual([]);
    expect(() => sampleLogRecords({ count: 5, anomalyRate: -0.1 })).toThrow(ConfigError);
  });

  it('stops on early break', async () => {
    let n = 0;
    for await (const record of sampleLogRecords({ count: Infinity })) {
      n += 1;
      if (record.position.kind === 'stream' && record.position.index === 99) break;
    }
    expect(n).toBe(100);
  });

  it('rejects with the abort reason when the signal aborts, even on a never-ending sample', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    let n = 0;
    const run = async (): Promise<void> => {
      for await (const _ of sampleLogRecords({ count: Infinity, signal: controller.signal })) n += 1;
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(n).toBeGreaterThan(0);

    const already = AbortSignal.abort(new Error('stop now'));
    await expect(collect(sampleLogRecords({ count: 10, signal: already }))).rejects.toThrow('stop now');
  });
});
