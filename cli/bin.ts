#!/usr/bin/env node
import { main } from './main.js';

const controller = new AbortController();
const interrupt = (): void => controller.abort(new Error('interrupted'));
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
