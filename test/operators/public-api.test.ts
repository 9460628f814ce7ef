import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as operators from '../../operators/index.js';

const dir = path.resolve(import.meta.dirname, '../../operators');

describe('operators/ public surface', () => {
  it('uses only the public RxJS API (never rxjs/internal)', () => {
    const offenders = readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .filter((name) => /['"]rxjs\/internal/.test(readFileSync(path.join(dir, name), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('exports the bridges, the adapter, the gate and the RxJS Titans operators (snapshots come from the neuralMemory option)', () => {
    expect(Object.keys(operators).sort()).toEqual(
      ['DEFAULT_BRIDGE_CAPACITY', 'chunkTokens', 'createBackpressure', 'fromAsyncIterable', 'fromAsyncOperator', 'neuralMemory', 'surpriseAlerts', 'titans', 'toAsyncIterable', 'tokenize'].sort(),
    );
  });
});
