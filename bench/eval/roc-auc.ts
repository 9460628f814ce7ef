/**
 * Area under the ROC curve of `scores` for `labels` (1 = positive): the probability that a random
 * positive scores higher than a random negative, ties counted half (the Mann–Whitney U statistic
 * ÷ positives·negatives), computed from average ranks in O(n log n).
 *
 * @example
 * ```ts
 * rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 * ```
 * @param scores - One score per item; higher = more likely positive.
 * @param labels - 0 or 1 per item.
 * @returns The AUC in [0, 1].
 * @throws Error when the lengths differ, a label is not 0/1, or a class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`rocAuc: ${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      const label = labels[order[t] as number];
      if (label !== 0 && label !== 1) throw new Error(`rocAuc: label ${String(label)} at ${order[t]} is not 0 or 1`);
      if (label === 1) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) throw new Error(`rocAuc: needs both classes, got ${positives} positives and ${negatives} negatives`);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
