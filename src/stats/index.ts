/**
 * driftline statistics: pure functions over Float64Array that agree with scipy/numpy.
 * Nothing here decides drift (no thresholds); see docs/METRICS.md.
 */
export { ks, ksSorted, ksStatisticSorted, ksFromStatistic, ksAsymptoticPValue, KS_MAX_EXACT_N } from './ks.js';
export type { KsResult, KsOptions } from './ks.js';
export { kstwoSf, kstwoCdf, smirnovSf } from './kolmogorov.js';
export { wasserstein, wassersteinSorted, wassersteinWeightedSorted } from './wasserstein.js';
export type { WassersteinOptions } from './wasserstein.js';
export { sortedPairStats, type SortedPairStats } from './sorted-pair.js';
export { unsortedPairStats, ksStatisticUnsorted } from './unsorted-pair.js';
export {
  referenceEdges,
  referenceEdgesSorted,
  referenceBins,
  quantileSorted,
  binIndex,
  binCounts,
  proportions,
  categoricalCounts,
  categoricalProportions,
} from './binning.js';
export { psi, PSI_ZERO_REPLACEMENT } from './psi.js';
export { jensenShannon } from './jensen-shannon.js';
export { hellinger } from './hellinger.js';
export { linf } from './linf.js';
export { chi2Contingency } from './chi2.js';
export type { Chi2Result } from './chi2.js';
export { gammaincP, gammaincQ, chi2Sf, lgamma } from './special.js';
export { rocAuc } from './auc.js';
export { KllSketch, ksFromSketch, kllMaxByteSize, KLL_DEFAULT_K, KLL_MAX_K, type KllSortedView } from './kll.js';
export { mulberry32, standardNormal } from './random.js';
export { sortFloat64 } from './sort.js';
export { orderStatistics, bucketValues, type ValueBuckets } from './select.js';
export { rangeWasm } from './bucket-kernel.js';
