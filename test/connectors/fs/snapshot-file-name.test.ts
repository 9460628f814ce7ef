import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSnapshotKey, parseSnapshotFileName, snapshotFileName } from '../../../connectors/fs/index.js';
import { ConfigError } from '../../../src/errors/index.js';

describe('snapshot file names', () => {
  it('encodes keys into safe names, reversibly', () => {
    expect(encodeSnapshotKey('part-0')).toBe('part-0');
    expect(encodeSnapshotKey('logs/App.log')).toBe('logs%2F%41pp%2Elog');
    expect(snapshotFileName('topic-3', 42)).toBe('topic-3.000000000042.snap');
    expect(parseSnapshotFileName('topic-3.000000000042.snap')).toEqual({ key: 'topic-3', encodedKey: 'topic-3', seq: 42 });
  });

  it('round-trips any key; names hold only safe characters and differ for keys differing in case', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.nat({ max: 1e9 }), (key, seq) => {
        const name = snapshotFileName(key, seq);
        expect(name).toMatch(/^[a-z0-9_%A-F-]+\.\d{12}\.snap$/);
        expect(parseSnapshotFileName(name)).toEqual({ key, encodedKey: encodeSnapshotKey(key), seq });
      }),
    );
    expect(encodeSnapshotKey('A')).not.toBe(encodeSnapshotKey('a'));
    expect(encodeSnapshotKey('A').toLowerCase()).not.toBe(encodeSnapshotKey('a').toLowerCase());
  });

  it('rejects empty and overlong keys and bad sequence numbers; ignores other files', () => {
    expect(() => encodeSnapshotKey('')).toThrow(ConfigError);
    expect(() => encodeSnapshotKey('/'.repeat(100))).toThrow(/too long/);
    expect(() => snapshotFileName('k', -1)).toThrow(ConfigError);
    expect(() => snapshotFileName('k', 1.5)).toThrow(ConfigError);
    for (const name of ['k.snap', '.k.000000000001.snap.1-ab.tmp', 'k.000000000001.snap.tmp', 'K.000000000001.snap', 'k.x.snap']) {
      expect(parseSnapshotFileName(name)).toBeUndefined();
    }
  });
});
