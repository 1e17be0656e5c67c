/**
 * From a matched quad to a pointing (Lang et al. 2010, section 2.3): the similarity transform
 * (scale, rotation, shift, and the parity that matched) that best maps the quad's field stars
 * onto its index stars in the tangent plane, expressed as a TAN WCS with its reference pixel at
 * the image centre.
 */
import { tanDeproject, tanProject, type TanWcs } from '../sky/tan.js';
import { vecToRadec, type Vec3 } from '../sky/vector.js';

/** 'normal': det CD < 0, the sky as seen (north up, east left); 'flipped': a mirror image. */
export type Parity = 'normal' | 'flipped';

/**
 * Least-squares similarity from pixels to tangent-plane coordinates, in complex form: with
 * z = x + iy (flipped) or x − iy (normal) and w = ξ + iη in degrees, w ≈ α z + β.
 * Returns the CD matrix and the intermediate coordinates of pixel (cx, cy).
 */
function fitSimilarity(pixels: ArrayLike<number>, plane: ArrayLike<number>, k: number, parity: Parity, cx: number, cy: number): { cd: TanWcs['cd']; wx: number; wy: number } {
  const s = parity === 'normal' ? -1 : 1;
  let zx = 0, zy = 0, wx = 0, wy = 0;
  for (let i = 0; i < k; i++) {
    zx += pixels[2 * i];
    zy += s * pixels[2 * i + 1];
    wx += plane[2 * i];
    wy += plane[2 * i + 1];
  }
  zx /= k; zy /= k; wx /= k; wy /= k;
  // α = Σ (w − w̄) conj(z − z̄) / Σ |z − z̄|²
  let nr = 0, ni = 0, den = 0;
  for (let i = 0; i < k; i++) {
    const ax = pixels[2 * i] - zx, ay = s * pixels[2 * i + 1] - zy;
    const bx = plane[2 * i] - wx, by = plane[2 * i + 1] - wy;
    nr += bx * ax + by * ay;
    ni += by * ax - bx * ay;
    den += ax * ax + ay * ay;
  }
  const ar = nr / den, ai = ni / den;
  // w = α z + β, β = w̄ − α z̄; at pixel (cx, cy): z_c = cx + i s cy.
  const zcx = cx - zx, zcy = s * cy - zy;
  return {
    // ξ = ar x − ai s y + …, η = ai x + ar s y + …
    cd: [[ar, -ai * s], [ai, ar * s]],
    wx: wx + ar * zcx - ai * zcy,
    wy: wy + ai * zcx + ar * zcy,
  };
}

/**
 * The TAN WCS that maps the field stars `pixels` (x, y per star) onto the index stars `stars`
 * (unit vectors, same order) with the given parity, reference pixel (cx, cy). Two rounds: the
 * first finds where the image centre points, the second refits on the plane tangent there.
 */
export function quadHypothesis(pixels: ArrayLike<number>, stars: readonly Vec3[], parity: Parity, cx: number, cy: number): TanWcs | null {
  const k = stars.length;
  const plane = new Float64Array(2 * k);
  let tangent: Vec3 = stars[0];
  // Start from the A–B midpoint direction.
  const m = [stars[0][0] + stars[1][0], stars[0][1] + stars[1][1], stars[0][2] + stars[1][2]];
  const norm = Math.hypot(m[0], m[1], m[2]);
  if (!(norm > 0)) return null;
  tangent = [m[0] / norm, m[1] / norm, m[2] / norm];
  let fit: ReturnType<typeof fitSimilarity> | null = null;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < k; i++) {
      const p = tanProject(tangent, stars[i]);
      if (!p) return null;
      plane[2 * i] = p.x;
      plane[2 * i + 1] = p.y;
    }
    fit = fitSimilarity(pixels, plane, k, parity, cx, cy);
    if (!Number.isFinite(fit.wx) || !Number.isFinite(fit.wy) || !Number.isFinite(fit.cd[0][0])) return null;
    tangent = tanDeproject(tangent, fit.wx, fit.wy);
  }
  const { ra, dec } = vecToRadec(tangent);
  return { crval: [ra, dec], crpix: [cx, cy], cd: fit!.cd };
}
