import { describe, expect, it } from 'vitest';
import { evaluationVariants, parameterCount } from '../../../bench/eval/variants.js';
import { TitansModel } from '../../../src/model/index.js';

describe('evaluationVariants', () => {
  it('brings every variant within 1 % of MAC’s parameter count', () => {
    const variants = evaluationVariants({ dim: 32, layers: 2, heads: 2 });
    expect(variants.map((v) => v.name)).toEqual(['mac', 'mag', 'mal', 'lmm', 'swa', 'mac-linear-memory', 'mac-no-momentum', 'mac-no-forgetting']);
    const target = parameterCount(variants[0]!.config);
    for (const v of variants) expect(Math.abs(parameterCount(v.config) - target) / target).toBeLessThan(0.01);
    expect(variants.find((v) => v.name === 'swa')!.config.mlpHidden).toBeGreaterThan(variants[0]!.config.mlpHidden ?? 0);
  });

  it('counts parameters as the model does', () => {
    const config = evaluationVariants({ dim: 16, layers: 1, heads: 2 })[4]!.config;
    const model = TitansModel.create(config);
    try {
      expect(parameterCount(config)).toBe(model.parameterCount);
    } finally {
      model.dispose();
    }
  });
});
