export { SeededRandom, type Seed, type SeededRandomState } from './seeded-random.js';
