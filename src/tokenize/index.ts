export type { Tokenizer, TokenDecoder } from './tokenizer.js';
export {
  ByteTokenizer,
  BYTE_BOS,
  BYTE_EOS,
  BYTE_RECORD_SEPARATOR,
  BYTE_PAD,
  BYTE_VOCAB_SIZE,
  type ByteTokenizerOptions,
  type ByteSpecialText,
} from './byte-tokenizer.js';
