export type { TokenRun } from './token-run.js';
export type { TokenChunk, TokenSpan } from './token-chunk.js';
export { tokenize, type TokenizeOptions } from './tokenize.js';
export { chunkTokens, type ChunkTokensOptions } from './chunk-tokens.js';
