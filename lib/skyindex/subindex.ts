/**
 * The sub-index as the solver sees it, whichever file it came from: stars and quads in the
 * order of their kd-trees, so a range-search hit is directly a quad number and a quad's entries
 * are directly star numbers. Coordinates may be stored quantised (asterism files: u32 star
 * vectors, u16 codes); the accessors here give them back as doubles.
 */
import { angleBetween, radToDeg, type Vec3 } from '../sky/vector.js';
import type { QuadSize } from '../solve/quad-code.js';
import type { KdTree } from './kdtree.js';

/** Metadata of a sub-index, stored as the file's JSON. Angles in degrees unless named otherwise. */
export interface SubIndexMeta {
  kind: 'asterism-subindex';
  indexId: number;
  dimQuads: QuadSize;
  codeDim: number;
  scaleLowerDeg: number;
  scaleUpperDeg: number;
  /** HEALPix (NESTED) grids the quads were placed on and the stars were selected on (0: unknown). */
  quadNside: number;
  starNside: number;
  starsPerCell: number;
  passes: number;
  maxStarUse: number;
  starCount: number;
  quadCount: number;
  /** Points per kd-tree leaf the trees were built with. */
  kdLeafSize: number;
  /** Quad cells that received at least one quad, as a fraction of all cells. */
  cellCoverage: number;
  catalog: { source: string; stars: number; magLimit: number };
}

/** A sub-index in memory: the same arrays a sub-index file holds. */
export interface SubIndex {
  meta: SubIndexMeta;
  /** Star unit vectors in star-tree order: star t is tree point t (the tree has no `ids`). */
  stars: KdTree;
  /** Magnitude of each star, in star-tree order (NaN where the catalogue has none). */
  mags: Float32Array;
  /** dimQuads star numbers per quad (A, B, then the inner stars in code order); quad q is code-tree point q. */
  quads: Uint32Array;
  /** The codes, one point per quad, in tree order (the tree has no `ids`). */
  codes: KdTree;
}

/** Point `i` of a tree as doubles (dequantised when the tree stores integers), written to `out`. */
export function treePoint(tree: KdTree, i: number, out: Float64Array | number[] = new Float64Array(tree.dim)): Float64Array | number[] {
  const { dim, points, quantisation } = tree;
  if (!quantisation) {
    for (let d = 0; d < dim; d++) out[d] = points[i * dim + d];
  } else {
    for (let d = 0; d < dim; d++) out[d] = quantisation.offset[d] + quantisation.scale * points[i * dim + d];
  }
  return out;
}

/**
 * Unit vector of star `t`. Quantised vectors are off the unit sphere by up to ~1e-9, far below
 * any astrometric tolerance, so they are renormalised rather than trusted as unit length.
 */
export function starVector(index: SubIndex, t: number): Vec3 {
  const p = treePoint(index.stars, t, [0, 0, 0]) as number[];
  const n = Math.hypot(p[0], p[1], p[2]);
  return [p[0] / n, p[1] / n, p[2] / n];
}

/** The code of quad `q` as doubles. */
export function quadCodeOf(index: SubIndex, q: number): Float64Array {
  return treePoint(index.codes, q) as Float64Array;
}

/** Angular diameter of quad `q` (the A–B distance), degrees: a consistency check for tests and tools. */
export function quadDiameterDeg(index: SubIndex, q: number): number {
  const k = index.meta.dimQuads;
  return radToDeg(angleBetween(starVector(index, index.quads[q * k]), starVector(index, index.quads[q * k + 1])));
}
