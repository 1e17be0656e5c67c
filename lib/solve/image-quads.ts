/**
 * Quads from the image's stars (Lang et al. 2010, section 2.2), grown one star at a time in
 * order of brightness: when star n joins, every quad of stars 0…n that contains n is produced,
 * so after n stars every quad among them has been produced exactly once and the brightest
 * stars, the likeliest to be in the index, are combined first.
 *
 * A quad is a pair A, B whose distance lies in the wanted pixel range, and one to three more
 * stars (for quads of 3, 4 or 5 stars) inside the circle with A–B as its diameter, so that A–B is
 * the widest pair, as the code needs.
 */

/** Field-star positions, x then y per star, brightest first. */
export type FieldXY = Float64Array;

function insideCircle(xy: FieldXY, a: number, b: number, i: number): boolean {
  const mx = (xy[2 * a] + xy[2 * b]) / 2, my = (xy[2 * a + 1] + xy[2 * b + 1]) / 2;
  const r2 = ((xy[2 * a] - xy[2 * b]) ** 2 + (xy[2 * a + 1] - xy[2 * b + 1]) ** 2) / 4;
  return (xy[2 * i] - mx) ** 2 + (xy[2 * i + 1] - my) ** 2 < r2;
}

/**
 * Calls `visit` with every `size`-element combination of `pool` (in increasing positions),
 * written into `out` from `at` on; stops and returns false when `visit` returns false.
 */
function combinations(pool: readonly number[], size: number, out: number[], at: number, visit: () => boolean | void, from = 0): boolean {
  if (size === 0) return visit() !== false;
  for (let i = from; i <= pool.length - size; i++) {
    out[at] = pool[i];
    if (!combinations(pool, size - 1, out, at + 1, visit, i + 1)) return false;
  }
  return true;
}

/**
 * Every quad of `size` stars (3, 4 or 5) among stars 0…n that contains star n and whose A–B
 * distance lies in [minPixels, maxPixels], passed to `emit` as [A, B, inner stars…] (A–B either
 * way round; `emit` must copy the array if it keeps it). `emit` may return false to stop early
 * (a time limit): the function then returns false too.
 */
export function quadsWithNewStar(xy: FieldXY, n: number, size: number, minPixels: number, maxPixels: number, emit: (quad: readonly number[], diameter: number) => boolean | void): boolean {
  const min2 = minPixels * minPixels, max2 = maxPixels * maxPixels;
  const inner: number[] = [];
  const quad = new Array<number>(size);
  for (let b = 1; b <= n; b++) {
    for (let a = 0; a < b; a++) {
      const d2 = (xy[2 * a] - xy[2 * b]) ** 2 + (xy[2 * a + 1] - xy[2 * b + 1]) ** 2;
      if (d2 < min2 || d2 > max2) continue;
      const diameter = Math.sqrt(d2);
      quad[0] = a;
      quad[1] = b;
      const visit = () => emit(quad, diameter);
      inner.length = 0;
      if (b === n) {
        // n is A or B: any size − 2 older stars inside the circle.
        for (let i = 0; i < n; i++) if (i !== a && insideCircle(xy, a, b, i)) inner.push(i);
        if (!combinations(inner, size - 2, quad, 2, visit)) return false;
      } else {
        // n is an inner star: it must lie inside, with size − 3 older ones.
        if (!insideCircle(xy, a, b, n)) continue;
        for (let i = 0; i < n; i++) if (i !== a && i !== b && insideCircle(xy, a, b, i)) inner.push(i);
        quad[size - 1] = n;
        if (!combinations(inner, size - 3, quad, 2, visit)) return false;
      }
    }
  }
  return true;
}
