import { TitansModel } from '../../../src/model/index.js';
import type { TitansModelConfig } from '../../../src/model/index.js';
import type { SeededRandom } from '../../../src/random/index.js';

/**
 * A model with O(1) random weights (norm gains around 1): unlike the 0.02-scale initialisation,
 * every weight visibly moves the outputs, which finite differences and "does X reach Y" checks need.
 */
export function randomModel(config: TitansModelConfig, rng: SeededRandom, scale = 0.3): TitansModel {
  const init = TitansModel.create(config);
  try {
    const values = Object.fromEntries(
      Object.entries(init.tensors).map(([name, t]) => {
        const isNorm = name.includes('norm');
        const data = rng.fillNormal(new Float32Array(t.size), 0, isNorm ? scale / 3 : scale);
        if (isNorm) data.forEach((x, i) => (data[i] = 1 + x));
        return [name, { shape: t.shape, data }];
      }),
    );
    return TitansModel.fromWeights(init.config, values);
  } finally {
    init.dispose();
  }
}
