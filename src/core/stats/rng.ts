// Everything random in the gate is seeded, so a re-run of the same inputs gives the same report.

/**
 * A xoshiro128** generator of unsigned 32-bit integers. Chosen over a single-word generator for its
 * 2^128 period: Monte Carlo and bootstrap loops draw millions of values per slice.
 */
export function createUint32Rng(seed: number): () => number {
  // Expanding one word into four through a Weyl sequence and an avalanche mix means nearby seeds
  // (0, 1, 2 ...) still start far apart, and the state is never all zero.
  let weyl = seed >>> 0;
  const mix = (): number => {
    weyl = (weyl + 0x9e3779b9) >>> 0;
    let z = weyl;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seeded generator of floats in [0, 1), 32 bits of resolution. */
export function createRng(seed: number): () => number {
  const next = createUint32Rng(seed);
  return () => next() / 4294967296;
}

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `s`, unsigned. Hashing bytes rather than UTF-16 units keeps
 * the value equal to the published FNV-1a, so seeds can be reproduced outside this code base.
 */
export function seedFromString(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
