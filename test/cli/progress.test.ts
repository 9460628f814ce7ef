import { describe, expect, it } from 'vitest';
import { formatEta } from '../../cli/progress.js';

describe('formatEta', () => {
  it('gives the share done and the time left at the rate so far', () => {
    expect(formatEta(0.5, 10)).toBe(', 50.0%, ETA 10.0s');
    expect(formatEta(0.25, 30)).toBe(', 25.0%, ETA 1m30s');
  });

  it('counts only the progress made since the clock started (a resumed run)', () => {
    expect(formatEta(0.75, 10, 0.5)).toBe(', 75.0%, ETA 10.0s');
  });

  it('is empty until some progress was made', () => {
    expect(formatEta(0, 5)).toBe('');
    expect(formatEta(0.5, 5, 0.5)).toBe('');
  });
});
