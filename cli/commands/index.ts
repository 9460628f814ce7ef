import type { Command } from '../command.js';
import { convertCommand } from './convert.js';
import { runCommand } from './run.js';
import { snapshotCommand } from './snapshot.js';
import { soakCommand } from './soak.js';
import { trainCommand } from './train.js';

/** Every sub-command, in the order `--help` lists them. */
export const commands: readonly Command[] = [runCommand, convertCommand, snapshotCommand, soakCommand, trainCommand];
