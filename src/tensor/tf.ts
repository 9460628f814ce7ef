/**
 * The one TensorFlow.js namespace the library uses. Importing `@tensorflow/tfjs` (the union
 * package) registers the gradients and the CPU backend; other backends are added by
 * {@link initBackend}.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Scalar, Rank } from '@tensorflow/tfjs';
