/**
 * Building a sub-index from a star catalogue (Lang et al. 2010, "Indexing the sky"):
 *
 * 1. Uniform, bright stars: a fine HEALPix grid (cells about half the smallest quad) keeps the
 *    `starsPerCell` brightest stars of each cell, so dense and sparse parts of the sky end up
 *    with similar numbers of stars and every part keeps its brightest.
 * 2. Quads: a coarser grid (cells about the smallest quad diameter) is visited `passes` times;
 *    each visit looks for a quad whose A–B diameter lies in the sub-index's scale range and
 *    whose centre (the A–B midpoint) lies in the cell, trying the brightest stars first and
 *    using each star at most `maxStarUse` times. A last visit lifts that limit for cells still
 *    without a quad.
 * 3. Codes: the stars of each quad are projected onto the tangent plane at its centre and
 *    hashed (lib/solve/quad-code.ts) in (north, east) coordinates, the convention
 *    astrometry.net's index files use, so one solver handles both.
 * 4. Kd-trees over the star unit vectors and over the codes; stars and quads are stored in
 *    tree order so the trees' permutations need not be stored.
 */
import { AsterismError } from '../errors.js';
import { nsideForSize, pixelCount, pixelSizeDeg, pixelToVec, vecToPixel } from '../sky/healpix.js';
import { tanProject } from '../sky/tan.js';
import { angleBetween, angleToChordSq, degToRad, midpoint, radecToVec, type Vec3 } from '../sky/vector.js';
import { codeDimension, quadCode, type QuadSize } from '../solve/quad-code.js';
import type { StarCatalog } from './catalog.js';
import { buildKdTree, DEFAULT_KD_LEAF_SIZE, quantiseKdTree, rangeSearch, type KdTree } from './kdtree.js';
import type { SubIndex } from './subindex.js';

export type { SubIndex, SubIndexMeta } from './subindex.js';

/** Options of {@link buildSubIndex}. Angles in degrees. */
export interface BuildSubIndexOptions {
  /** Smallest quad diameter (A–B distance), degrees. */
  scaleLowerDeg: number;
  /** Largest quad diameter, degrees (the paper's sub-indices span a factor of about √2). */
  scaleUpperDeg: number;
  /** Stars per quad: 4 (default), or 3 or 5. */
  dimQuads?: QuadSize;
  /** Brightest stars kept per star-grid cell (default 8). */
  starsPerCell?: number;
  /**
   * Cell size of the star-selection grid, degrees (default: the quad grid's, about the smallest
   * quad diameter). Finer cells keep more faint stars in sparse regions, at the cost of size.
   */
  starCellDeg?: number;
  /** Visits of the quad grid with the reuse limit in force (default 2). */
  passes?: number;
  /** Quads a star may join before the final visit (default 8). */
  maxStarUse?: number;
  /** A number that identifies the sub-index (default 0). */
  indexId?: number;
  /** Called now and then with the fraction done (0–1) and what is happening. */
  onProgress?: (fraction: number, stage: string) => void;
  signal?: AbortSignal;
}

/**
 * Star unit vectors are stored as u32 steps of 2 / (2^32 − 1) ≈ 0.1 milliarcsecond, far below
 * any catalogue's precision, in 12 bytes instead of 24.
 */
export const STAR_STORAGE = 'u32';
/**
 * Codes are stored as u16 steps of about 2.2e-5 (codes span roughly [−0.21, 1.21]), 500 times
 * finer than the solver's code tolerance (~0.01), in 8 bytes instead of 32: astrometry.net's
 * index files quantise codes the same way.
 */
export const CODE_STORAGE = 'u16';

function checkOptions(o: BuildSubIndexOptions): Required<Omit<BuildSubIndexOptions, 'onProgress' | 'signal' | 'starCellDeg'>> & { starCellDeg?: number } {
  const r = {
    starCellDeg: o.starCellDeg,
    scaleLowerDeg: o.scaleLowerDeg,
    scaleUpperDeg: o.scaleUpperDeg,
    dimQuads: o.dimQuads ?? 4,
    starsPerCell: o.starsPerCell ?? 8,
    passes: o.passes ?? 2,
    maxStarUse: o.maxStarUse ?? 8,
    indexId: o.indexId ?? 0,
  };
  if (!(r.scaleLowerDeg > 0 && r.scaleUpperDeg > r.scaleLowerDeg && r.scaleUpperDeg <= 60)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `quad scale range must satisfy 0 < lower < upper ≤ 60 degrees, got ${r.scaleLowerDeg}–${r.scaleUpperDeg}`);
  }
  if (![3, 4, 5].includes(r.dimQuads)) throw new AsterismError('E_INVALID_ARGUMENT', `dimQuads must be 3, 4 or 5, got ${r.dimQuads}`);
  if (r.starCellDeg !== undefined && !(r.starCellDeg > 0 && r.starCellDeg <= 60)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `starCellDeg must be in (0, 60] degrees, got ${r.starCellDeg}`);
  }
  for (const key of ['starsPerCell', 'passes', 'maxStarUse'] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 1) throw new AsterismError('E_INVALID_ARGUMENT', `${key} must be a positive integer`);
  }
  return r;
}

/**
 * Step 1: the `perCell` brightest stars of each fine cell, ordered by their brightness rank
 * within the cell first and magnitude second (astrometry.net's "sweep" order), so that any
 * prefix of the list is itself uniform over the sky.
 */
export function selectUniformStars(catalog: StarCatalog, nside: number, perCell: number): number[] {
  const n = catalog.ra.length;
  const byMag = Array.from({ length: n }, (_, i) => i).sort((a, b) => catalog.mag[a] - catalog.mag[b] || a - b);
  const taken = new Map<number, number>();
  const chosen: Array<{ star: number; rank: number }> = [];
  for (const star of byMag) {
    const cell = vecToPixel(nside, radecToVec(catalog.ra[star], catalog.dec[star]));
    const rank = taken.get(cell) ?? 0;
    if (rank >= perCell) continue;
    taken.set(cell, rank + 1);
    chosen.push({ star, rank });
  }
  chosen.sort((a, b) => a.rank - b.rank || catalog.mag[a.star] - catalog.mag[b.star] || a.star - b.star);
  return chosen.map((c) => c.star);
}

/**
 * Builds one sub-index in memory, synchronously. Write it with writeSubIndex
 * (./subindex-file.ts). Long builds should use {@link buildSubIndexAsync}, which lets the
 * event loop (and so an AbortSignal fired from a timer or Ctrl-C) run between steps.
 */
export function buildSubIndex(catalog: StarCatalog, options: BuildSubIndexOptions): SubIndex {
  const steps = subIndexSteps(catalog, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Same as {@link buildSubIndex}, yielding to the event loop about every 20 ms. */
export async function buildSubIndexAsync(catalog: StarCatalog, options: BuildSubIndexOptions): Promise<SubIndex> {
  const steps = subIndexSteps(catalog, options);
  let since = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - since > 20) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

/** The build as a generator: it yields between units of work and returns the sub-index. */
function* subIndexSteps(catalog: StarCatalog, options: BuildSubIndexOptions): Generator<void, SubIndex> {
  const o = checkOptions(options);
  const progress = options.onProgress ?? (() => {});
  const aborted = () => {
    if (options.signal?.aborted) throw new AsterismError('E_ABORTED', 'building the index was aborted');
  };
  const dLow = degToRad(o.scaleLowerDeg), dHigh = degToRad(o.scaleUpperDeg);
  // Quad cells within a factor √2 of the smallest quad; star cells the same unless asked.
  const quadNside = nsideForSize(o.scaleLowerDeg * Math.SQRT2);
  const starNside = o.starCellDeg === undefined ? quadNside : nsideForSize(o.starCellDeg);

  progress(0, 'selecting stars');
  const selected = selectUniformStars(catalog, starNside, o.starsPerCell);
  yield;
  const m = selected.length;
  const vectors = new Float64Array(3 * m);
  selected.forEach((star, i) => vectors.set(radecToVec(catalog.ra[star], catalog.dec[star]), 3 * i));
  aborted();
  progress(0.05, 'building the star tree');
  const stars = buildKdTree(vectors, 3);
  yield;
  // treeIndexOf[selection position] = position in tree order; brightness rank = selection position.
  const starIds = stars.ids!;
  const treeIndexOf = new Uint32Array(m);
  for (let t = 0; t < m; t++) treeIndexOf[starIds[t]] = t;
  const mags = new Float32Array(m);
  for (let t = 0; t < m; t++) mags[t] = catalog.mag[selected[starIds[t]]];
  const vecOf = (t: number): Vec3 => [stars.points[3 * t], stars.points[3 * t + 1], stars.points[3 * t + 2]];

  const k = o.dimQuads;
  const codeDim = codeDimension(k);
  const quadStars: number[] = [];
  const codes: number[] = [];
  const seen = new Set<string>();
  const use = new Uint16Array(m);
  const cells = pixelCount(quadNside);
  const quadsInCell = new Uint16Array(cells);
  const cellRadius = degToRad(pixelSizeDeg(quadNside)) * 0.8;
  const searchRadius = Math.sqrt(angleToChordSq(dHigh / 2 + cellRadius));
  const xy = new Float64Array(2 * k);

  const tryCell = (cell: number, limit: number): boolean => {
    const centre = pixelToVec(quadNside, cell);
    // Candidates brightest first: the tree order is not brightness order, the selection order is.
    const found = Array.from(rangeSearch(stars, Float64Array.from(centre), searchRadius), (id) => treeIndexOf[id]);
    found.sort((a, b) => starIds[a] - starIds[b]);
    const candidates = found.filter((t) => use[t] < limit);
    // Widen the pool only when the brightest stars give nothing: most cells succeed early.
    for (const pool of [12, 24, 48]) {
      const c = candidates.slice(0, pool);
      for (let j = 1; j < c.length; j++) {
        for (let i = 0; i < j; i++) {
          const a = vecOf(c[i]), b = vecOf(c[j]);
          const d = angleBetween(a, b);
          if (d < dLow || d > dHigh) continue;
          const mid = midpoint(a, b);
          if (vecToPixel(quadNside, mid) !== cell) continue;
          const inner: number[] = [];
          for (let q = 0; q < c.length && inner.length < k - 2; q++) {
            if (q === i || q === j) continue;
            if (angleBetween(mid, vecOf(c[q])) < d / 2) inner.push(c[q]);
          }
          if (inner.length < k - 2) continue;
          const members = [c[i], c[j], ...inner];
          const key = [...members].sort((x, y) => x - y).join(',');
          if (seen.has(key)) continue;
          let ok = true;
          members.forEach((t, s) => {
            const p = tanProject(mid, vecOf(t));
            if (!p) ok = false;
            else {
              xy[2 * s] = p.y; // north
              xy[2 * s + 1] = p.x; // east
            }
          });
          if (!ok) continue;
          const q = quadCode(xy, k);
          if (!q || !q.inCircle || q.order[0] + q.order[1] !== 1) continue;
          seen.add(key);
          for (const s of q.order) {
            quadStars.push(members[s]);
            use[members[s]]++;
          }
          for (let z = 0; z < codeDim; z++) codes.push(q.code[z]);
          quadsInCell[cell]++;
          return true;
        }
      }
      if (c.length < pool) break;
    }
    return false;
  };

  const totalVisits = cells * (o.passes + 1);
  let visits = 0;
  for (let pass = 0; pass <= o.passes; pass++) {
    const finalPass = pass === o.passes;
    for (let cell = 0; cell < cells; cell++, visits++) {
      if ((visits & 0xff) === 0) {
        yield;
        aborted();
        progress(0.1 + 0.8 * (visits / totalVisits), finalPass ? 'filling empty cells' : `placing quads, pass ${pass + 1} of ${o.passes}`);
      }
      if (finalPass && quadsInCell[cell] > 0) continue;
      tryCell(cell, finalPass ? Infinity : o.maxStarUse);
    }
  }

  const quadCount = codes.length / codeDim;
  progress(0.9, 'building the code tree');
  const codeTree = buildKdTree(Float64Array.from(codes), codeDim);
  const quads = new Uint32Array(quadCount * k);
  for (let t = 0; t < quadCount; t++) {
    const original = codeTree.ids![t];
    for (let s = 0; s < k; s++) quads[t * k + s] = quadStars[original * k + s];
  }
  let covered = 0;
  for (let cell = 0; cell < cells; cell++) if (quadsInCell[cell] > 0) covered++;
  let magLimit = -Infinity;
  for (let t = 0; t < m; t++) magLimit = Math.max(magLimit, mags[t]);
  progress(1, 'done');
  return {
    meta: {
      kind: 'asterism-subindex',
      indexId: o.indexId,
      dimQuads: k,
      codeDim,
      scaleLowerDeg: o.scaleLowerDeg,
      scaleUpperDeg: o.scaleUpperDeg,
      quadNside,
      starNside,
      starsPerCell: o.starsPerCell,
      passes: o.passes,
      maxStarUse: o.maxStarUse,
      starCount: m,
      quadCount,
      kdLeafSize: DEFAULT_KD_LEAF_SIZE,
      cellCoverage: covered / cells,
      catalog: { source: catalog.source, stars: catalog.ra.length, magLimit },
    },
    // The data are now in tree order, so the trees need no ids; files store them quantised
    // (see STAR_STORAGE and CODE_STORAGE), and the in-memory index is the same as a loaded one.
    stars: quantiseKdTree({ ...stars, ids: undefined }, STAR_STORAGE),
    mags,
    quads,
    codes: quantiseKdTree({ ...codeTree, ids: undefined }, CODE_STORAGE),
  };
}


/** Ratio of the largest to the smallest quad diameter of one sub-index (the paper's √2). */
export const SUBINDEX_SCALE_STEP = Math.SQRT2;

/** The quad-diameter ranges of an index series, degrees: steps of √2 from `minDeg`, the last ending at `maxDeg`. */
export function indexScaleSeries(minDeg: number, maxDeg: number): Array<[number, number]> {
  if (!(minDeg > 0 && maxDeg > minDeg)) throw new AsterismError('E_INVALID_ARGUMENT', `need 0 < minDeg < maxDeg, got ${minDeg}, ${maxDeg}`);
  const ranges: Array<[number, number]> = [];
  // A sliver shorter than 1 % of a step is merged into the previous range rather than built alone.
  for (let lo = minDeg; lo < maxDeg * 0.999; lo *= SUBINDEX_SCALE_STEP) {
    const hi = lo * SUBINDEX_SCALE_STEP >= maxDeg * 0.99 ? maxDeg : lo * SUBINDEX_SCALE_STEP;
    ranges.push([lo, hi]);
    if (hi === maxDeg) break;
  }
  return ranges;
}

/** Options of {@link buildIndex}: those of {@link buildSubIndexAsync} with a diameter range for the whole series. */
export interface BuildIndexOptions extends Omit<BuildSubIndexOptions, 'scaleLowerDeg' | 'scaleUpperDeg' | 'indexId'> {
  /** Smallest quad diameter of the series, degrees. */
  scaleMinDeg: number;
  /** Largest quad diameter of the series, degrees. */
  scaleMaxDeg: number;
}

/**
 * Builds the series of sub-indices that together cover quad diameters from `scaleMinDeg` to
 * `scaleMaxDeg` (each spanning a factor √2), numbered from 0. Save each with writeSubIndex.
 *
 * @example
 * ```ts
 * const catalog = await readCsvCatalog('gaia-bright.csv');
 * const subIndices = await buildIndex(catalog, { scaleMinDeg: 0.5, scaleMaxDeg: 8 });
 * ```
 */
export async function buildIndex(catalog: StarCatalog, options: BuildIndexOptions): Promise<SubIndex[]> {
  const series = indexScaleSeries(options.scaleMinDeg, options.scaleMaxDeg);
  const out: SubIndex[] = [];
  for (const [i, [lo, hi]] of series.entries()) {
    out.push(await buildSubIndexAsync(catalog, {
      ...options,
      scaleLowerDeg: lo,
      scaleUpperDeg: hi,
      indexId: i,
      onProgress: options.onProgress && ((f, stage) => options.onProgress!((i + f) / series.length, `sub-index ${i + 1} of ${series.length}: ${stage}`)),
    }));
  }
  return out;
}
