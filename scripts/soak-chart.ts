/**
 * Redraws the chart of a soak run from its JSON (e.g. after changing the chart, or for a run made
 * without --chart): `npx tsx scripts/soak-chart.ts soak.json [soak.svg]`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { soakChartSvg } from '../cli/soak/soak-chart.js';
import type { SoakReport } from '../cli/soak/soak-report.js';

const [input, output = input?.replace(/\.json$/, '') + '.svg'] = process.argv.slice(2);
if (input === undefined) {
  process.stderr.write('usage: npx tsx scripts/soak-chart.ts <soak.json> [out.svg]\n');
  process.exit(2);
}
const report = JSON.parse(await readFile(input, 'utf8')) as SoakReport;
if (report.format !== 'titans-stream.soak') {
  process.stderr.write(`${input}: not a soak report (format ${String(report.format)})\n`);
  process.exit(1);
}
await writeFile(output, soakChartSvg(report));
process.stdout.write(`${output}\n`);
