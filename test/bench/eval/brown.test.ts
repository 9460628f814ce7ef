import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brownSplitOf, detokenizeBrown, readBrown } from '../../../bench/eval/brown.js';

describe('brownSplitOf', () => {
  it('holds out the files whose number is a multiple of 10', () => {
    expect(['ca10', 'cb20', 'cj80', 'cr00'].map(brownSplitOf)).toEqual(['heldout', 'heldout', 'heldout', 'heldout']);
    expect(['ca01', 'ca11', 'cj79', 'cr09'].map(brownSplitOf)).toEqual(['train', 'train', 'train', 'train']);
  });

  it('rejects names that are not Brown files', () => {
    expect(() => brownSplitOf('README')).toThrow(/not a Brown/);
    expect(() => brownSplitOf('cz10')).toThrow(/not a Brown/);
  });
});

describe('detokenizeBrown', () => {
  it('strips tags and glues punctuation and quotes', () => {
    expect(detokenizeBrown("\t``/`` Yes/uh ,/, ''/'' he/pps said/vbd ./.")).toBe('"Yes," he said.');
    expect(detokenizeBrown('The/at Fulton/np-tl County/nn-tl (/( Ga./np )/) jury/nn')).toBe('The Fulton County (Ga.) jury');
    expect(detokenizeBrown('   ')).toBe('');
  });

  it('keeps slashes inside words', () => {
    expect(detokenizeBrown('1/2/cd inch/nn')).toBe('1/2 inch');
  });
});

describe('readBrown', () => {
  it('returns only the files of the asked split, in name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brown-'));
    try {
      await writeFile(join(dir, 'ca10'), '\n\tHeld/jj out/rp ./.\n');
      await writeFile(join(dir, 'ca02'), '\n\tSecond/od ./.\n');
      await writeFile(join(dir, 'ca01'), '\n\tFirst/od ./.\n\n\tAgain/rb ./.\n');
      await writeFile(join(dir, 'README'), 'not a corpus file');
      expect(await readBrown('train', dir)).toBe('First.\nAgain.\n\nSecond.\n');
      expect(await readBrown('heldout', dir)).toBe('Held out.\n');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
