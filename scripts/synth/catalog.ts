/** Synthetic star catalogues: stars uniform on the sphere, magnitudes rising like real star counts. */
import type { StarCatalog } from '../../lib/skyindex/catalog.js';
import { createRng } from './random.js';

/**
 * `n` stars uniform over the whole sky, seeded. Magnitudes follow m = faintest − 2.5 log10(1 + 1000 u)
 * for uniform u, so faint stars outnumber bright ones as on the sky.
 */
export function syntheticCatalog(n: number, seed: number, faintest = 12): StarCatalog {
  const rng = createRng(seed);
  const ra = new Float64Array(n), dec = new Float64Array(n), mag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ra[i] = rng.uniform(0, 360);
    dec[i] = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    mag[i] = faintest - 2.5 * Math.log10(1 + 1000 * rng.next());
  }
  return { ra, dec, mag, source: `synthetic(${n}, seed ${seed})`, skippedRows: 0 };
}
