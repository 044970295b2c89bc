/**
 * Area under the ROC curve of scores for a binary outcome, computed as the Mann-Whitney U
 * statistic of the positives' scores against the negatives' divided by n_pos * n_neg
 * (Hanley & McNeil, "The meaning and use of the area under a receiver operating characteristic
 * (ROC) curve", Radiology 1982). Ties get average ranks, so a tie counts one half, as
 * scipy.stats.mannwhitneyu and sklearn.metrics.roc_auc_score count it.
 *
 * @param scores   a score per example, higher meaning "more likely positive"
 * @param positive 1 for a positive example, 0 for a negative one
 * @throws RangeError when the lengths differ, a score is NaN, or one class is absent.
 */
export function rocAuc(scores: Float64Array, positive: Uint8Array): number {
  const n = scores.length;
  if (positive.length !== n) throw new RangeError(`rocAuc: ${n} scores but ${positive.length} outcomes`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`rocAuc: score ${i} is NaN`);
    nPos += positive[i] ? 1 : 0;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError('rocAuc: needs at least one positive and one negative example');
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  // Sum of the (average) ranks of the positives.
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && scores[order[j]] === scores[order[i]]) j++;
    const avgRank = (i + 1 + j) / 2; // ranks i+1 .. j
    for (let k = i; k < j; k++) if (positive[order[k]]) rankSumPos += avgRank;
    i = j;
  }
  const u = rankSumPos - (nPos * (nPos + 1)) / 2;
  return u / (nPos * nNeg);
}
