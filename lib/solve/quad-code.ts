/**
 * The geometric hash of a quad (Lang et al. 2010, section 2.2): a code that depends only on the
 * shape of 3–5 stars, not on where they are, how large the group is or how it is rotated.
 *
 * Of the stars, A and B are the most widely separated pair. The similarity transform that maps
 * A to (0, 0) and B to (1, 1) maps each other star to a point (x, y); those points, in order,
 * are the code: 2 numbers per star beyond A and B (4 for a quad of 4, 2 for a triangle).
 * Swapping A and B maps every (x, y) to (1 − x, 1 − y), and the order of the inner stars is
 * free, so one of the equivalent codes is chosen: the inner stars are sorted by x, and A and B
 * are taken in the order that makes the sum of the inner x at most (n − 2) / 2. For a quad
 * that reads cx ≤ dx and cx + dx ≤ 1.
 *
 * A mirror image (the other parity) of the same stars has the code of the stars reflected in
 * the line x = y; {@link mirrorCode} gives it without recomputing.
 */

/** Stars per quad that asterism supports (astrometry.net's DIMQUADS). */
export type QuadSize = 3 | 4 | 5;

/** A canonical code and the star order that produced it. */
export interface QuadCode {
  /** 2 × (n − 2) numbers: x, y of each inner star in the A–B frame. */
  code: Float64Array;
  /** Indices into the input of A, B and the inner stars, in code order. */
  order: number[];
  /** True when every inner star lies inside the circle with A–B as its diameter. */
  inCircle: boolean;
}

/** Number of code dimensions for a quad of `n` stars. */
export function codeDimension(n: QuadSize): number {
  return 2 * (n - 2);
}

/**
 * Canonical code of `n` points given as x0, y0, x1, y1, … in any plane coordinates (pixels, or
 * a tangent plane for catalogue stars). Returns null for degenerate input (coincident A and B).
 */
export function quadCode(xy: ArrayLike<number>, n: QuadSize): QuadCode | null {
  if (xy.length < 2 * n) throw new RangeError(`quadCode needs ${2 * n} coordinates, got ${xy.length}`);
  // A and B: the most widely separated pair (ties: the first pair found).
  let a = 0, b = 1, best = -1;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = (xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2;
      if (d > best) {
        best = d;
        a = i;
        b = j;
      }
    }
  }
  if (!(best > 0)) return null;
  const inner: number[] = [];
  for (let i = 0; i < n; i++) if (i !== a && i !== b) inner.push(i);
  let frame = frameCoordinates(xy, a, b, inner);
  let sumX = 0;
  for (let k = 0; k < inner.length; k++) sumX += frame[2 * k];
  if (sumX > inner.length / 2) {
    [a, b] = [b, a];
    frame = frameCoordinates(xy, a, b, inner);
  }
  // Inner stars by x, ties by y, so that equal codes come from equal shapes.
  const sorted = inner.map((star, k) => ({ star, x: frame[2 * k], y: frame[2 * k + 1] }));
  sorted.sort((p, q) => p.x - q.x || p.y - q.y);
  const code = new Float64Array(2 * inner.length);
  let inCircle = true;
  sorted.forEach((p, k) => {
    code[2 * k] = p.x;
    code[2 * k + 1] = p.y;
    inCircle = inCircle && (p.x - 0.5) ** 2 + (p.y - 0.5) ** 2 <= 0.5;
  });
  return { code, order: [a, b, ...sorted.map((p) => p.star)], inCircle };
}

/**
 * (x, y) of the stars `inner` in the frame where a is (0, 0) and b is (1, 1). As complex
 * numbers: (z − a) / (b − a) × (1 + i).
 */
function frameCoordinates(xy: ArrayLike<number>, a: number, b: number, inner: number[]): Float64Array {
  const ax = xy[2 * a], ay = xy[2 * a + 1];
  const dx = xy[2 * b] - ax, dy = xy[2 * b + 1] - ay;
  const norm = dx * dx + dy * dy;
  const out = new Float64Array(2 * inner.length);
  inner.forEach((star, k) => {
    const px = xy[2 * star] - ax, py = xy[2 * star + 1] - ay;
    // (p / d): real = (p·d) / |d|², imaginary = (d × p) / |d|²; then times (1 + i).
    const re = (px * dx + py * dy) / norm;
    const im = (dx * py - dy * px) / norm;
    out[2 * k] = re - im;
    out[2 * k + 1] = re + im;
  });
  return out;
}

/**
 * The canonical code of the mirror image of a quad whose canonical code is `code`: reflecting
 * the stars reflects every inner point in the line x = y of the A–B frame (A and B stay put);
 * the result is put back in canonical form. Searching with both codes finds a quad in an image
 * of either parity.
 */
export function mirrorCode(code: ArrayLike<number>): Float64Array {
  const m = code.length / 2;
  const points: Array<[number, number]> = [];
  for (let k = 0; k < m; k++) points.push([code[2 * k + 1], code[2 * k]]);
  let sumX = 0;
  for (const [x] of points) sumX += x;
  if (sumX > m / 2) for (const p of points) [p[0], p[1]] = [1 - p[0], 1 - p[1]];
  points.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  return Float64Array.from(points.flat());
}
