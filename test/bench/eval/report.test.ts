import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_BEGIN, REPORT_END, renderReport, spliceReport } from '../../../bench/eval/report.js';
import type { EvalReport } from '../../../bench/eval/report.js';

/** The committed full run: a real report with every section. */
const full = JSON.parse(readFileSync(new URL('../../../bench/results/eval-full.json', import.meta.url), 'utf8')) as EvalReport;

describe('renderReport', () => {
  it('renders every section of a full run, with the trained models\' copy accuracies', () => {
    const md = renderReport(full);
    for (const heading of ['### Held-out bits per byte', '### Ablations (MAC)', '### Needle in a haystack', '### Copy at a distance', '### Multi-query associative recall', '### Anomaly detection']) expect(md).toContain(heading);
    const swa = full.copy?.find((c) => c.model === 'swa' && c.period === 16);
    expect(md).toContain(`| swa | ${Math.round(100 * (swa?.accuracy ?? NaN))}% |`);
    expect(md).toContain('Run: `npm run bench:eval` on');
  });

  it('leaves out the task sections a --tasks run skipped, and names the flag', () => {
    const md = renderReport({ ...full, budget: 10, tasks: [], needle: [], copy: [], recall: [] });
    expect(md).not.toContain('### Needle in a haystack');
    expect(md).not.toContain('### Copy at a distance');
    expect(md).not.toContain('### Multi-query associative recall');
    expect(md).toContain('### Held-out bits per byte');
    expect(md).toContain('Run: `npm run bench:eval -- --budget 10 --tasks none`');
  });

  it('spliceReport replaces only the text between the markers', () => {
    const doc = `# Title\n\nbefore\n\n${REPORT_BEGIN}\nold\n${REPORT_END}\n\nafter\n`;
    const out = spliceReport(doc, `${REPORT_BEGIN}\nnew\n${REPORT_END}\n`);
    expect(out).toBe(`# Title\n\nbefore\n\n${REPORT_BEGIN}\nnew\n${REPORT_END}\n\nafter\n`);
  });
});
