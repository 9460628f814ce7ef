import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../../src/model/index.js';

const sample = [
  { name: 'a.weight', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-20, -7) },
  { name: 'ids', shape: [3], data: Int32Array.of(7, -1, 2 ** 30) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
];

function withHeader(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors codec', () => {
  it('round-trips F32 and I32 tensors and string metadata in the documented layout', () => {
    const bytes = encodeSafetensors(sample, { step: '12' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['__metadata__']).toEqual({ step: '12' });
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['ids']).toEqual({ dtype: 'I32', shape: [3], data_offsets: [24, 36] });
    // Raw little-endian data right after the header.
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 8, true)).toBe(3.5);
    expect(new DataView(bytes.buffer).getInt32(8 + n + 24 + 8, true)).toBe(2 ** 30);
    const back = decodeSafetensors(bytes, 'x');
    expect(back.metadata).toEqual({ step: '12' });
    expect(back.tensors).toEqual(sample);
    // Unaligned input (e.g. a slice of a pooled Buffer) decodes too.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeSafetensors(shifted.subarray(1), 'x').tensors).toEqual(sample);
  });

  it.each([
    ['a cut header length', (b: Uint8Array) => b.subarray(0, 5), /truncated: 5 bytes/],
    ['a cut header', (b: Uint8Array) => b.subarray(0, 20), /truncated: the header claims/],
    ['cut data', (b: Uint8Array) => b.subarray(0, b.length - 4), /truncated: tensor "ids" ends at byte 36/],
    ['trailing bytes', (b: Uint8Array) => Uint8Array.from([...b, 0, 0, 0, 0]), /4 bytes after the last tensor/],
  ])('rejects %s', (_what, damage, message) => {
    const bytes = encodeSafetensors(sample);
    expect(() => decodeSafetensors(damage(bytes), 'model.safetensors')).toThrow(message);
    expect(() => decodeSafetensors(damage(bytes), 'model.safetensors')).toThrow(/^model\.safetensors: /);
  });

  it.each([
    ['non-JSON header', null, /not valid JSON/],
    ['an unknown dtype', { w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, /dtype "F16"/],
    ['a shape that does not fit its range', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, /needs 12 bytes, its range has 8/],
    ['overlapping ranges', { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, /starts at byte 4 of the data, expected 8/],
  ])('rejects %s', (_what, header, message) => {
    const bytes = header === null ? Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]) : withHeader(header, new Uint8Array(8));
    expect(() => decodeSafetensors(bytes, 'f')).toThrow(message);
  });

  it('refuses to encode duplicate names or data that does not match the shape', () => {
    expect(() => encodeSafetensors([sample[0], sample[0]] as never)).toThrow(/duplicate/);
    expect(() => encodeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(3) }])).toThrow(/3 values/);
  });
});
