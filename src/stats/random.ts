/**
 * Small deterministic random numbers, for reservoir sampling and simulated data: the same seed
 * always gives the same sequence, so replays and tests are reproducible.
 */

/** mulberry32 (T. Ettinger, public domain): the state advances by a Weyl increment ... */
export function mulberryStep(state: number): number {
  return (state + 0x6d2b79f5) | 0;
}
/** ... and each state is mixed into a 32-bit output. */
export function mulberryMix(t: number): number {
  let z = Math.imul(t ^ (t >>> 15), t | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return (z ^ (z >>> 14)) >>> 0;
}

/** mulberry32 (Tommy Ettinger's 32-bit generator): uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = mulberryStep(a);
    return mulberryMix(a) / 4294967296;
  };
}

/** A standard normal draw from a uniform source, by the Box-Muller transform (1958). */
export function standardNormal(uniform: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
