import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KafkaRecord } from '../../../connectors/kafka/index.js';
import { assembleSnapshot, partMessage, readPart, splitSnapshot, SNAPSHOT_PART_HEADERS } from '../../../connectors/kafka/index.js';

const encoder = new TextEncoder();

/** What a consumer would get back for a produced part message. */
function consumed(message: ReturnType<typeof partMessage>, offset = 0): KafkaRecord {
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? encoder.encode(v) : v]));
  return { topic: 'snapshots', partition: message.partition ?? 0, offset: String(offset), key: encoder.encode(String(message.key)), value: message.value as Uint8Array, timestamp: 0, headers };
}

describe('snapshot parts', () => {
  it('split then assemble gives the bytes back, whatever the sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.integer({ min: 1, max: 1500 }), (bytes, partBytes) => {
        const parts = splitSnapshot(bytes, { storeKey: 'g/t/0', id: 'id-1', slot: 1, partBytes });
        expect(parts.length).toBe(Math.max(1, Math.ceil(bytes.length / partBytes)));
        expect(parts.every((p) => p.data.byteLength <= partBytes)).toBe(true);
        const back = assembleSnapshot(parts.map((p) => readPart(consumed(partMessage(p, 0))) ?? p).reverse());
        expect(back).toEqual(bytes);
      }),
    );
  });

  it('reports a missing part, a checksum mismatch and parts of different snapshots', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const parts = splitSnapshot(bytes, { storeKey: 'k', id: 'a', slot: 0, partBytes: 30 });
    expect(assembleSnapshot(parts.filter((p) => p.index !== 2))).toMatch(/incomplete: part\(s\) 2 of 4 missing/);
    const damaged = parts.map((p) => (p.index === 1 ? { ...p, data: p.data.map((b) => b ^ 1) } : p));
    expect(assembleSnapshot(damaged)).toMatch(/SHA-256 mismatch/);
    const other = splitSnapshot(bytes.map((b) => b + 1), { storeKey: 'k', id: 'b', slot: 0, partBytes: 30 });
    expect(assembleSnapshot([...parts.slice(0, 2), ...other.slice(2)])).toMatch(/disagree/);
    expect(assembleSnapshot([])).toBe('no parts');
  });

  it('reads only well-formed part messages', () => {
    const [part] = splitSnapshot(new Uint8Array([1, 2, 3]), { storeKey: 'k', id: 'a', slot: 1, partBytes: 10 });
    const record = consumed(partMessage(part!, 0));
    expect(readPart(record)).toMatchObject({ storeKey: 'k', id: 'a', slot: 1, index: 0, count: 1, totalBytes: 3 });
    expect(readPart({ ...record, value: null })).toBeUndefined();
    const { [SNAPSHOT_PART_HEADERS.id]: _id, ...withoutId } = record.headers;
    expect(readPart({ ...record, headers: withoutId })).toBeUndefined();
    expect(readPart({ ...record, headers: { ...record.headers, [SNAPSHOT_PART_HEADERS.part]: encoder.encode('1') } })).toBeUndefined();
    expect(readPart({ ...record, headers: { ...record.headers, [SNAPSHOT_PART_HEADERS.slot]: encoder.encode('x') } })).toBeUndefined();
  });
});
