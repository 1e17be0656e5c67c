/**
 * Sub-index files: a {@link SubIndex} in the container of ./container.ts. The arrays are stored
 * exactly as they are searched (kd-trees in their implicit layout, stars and quads in tree
 * order), so loading is one read plus checks; docs/index-format.md lists the sections.
 */
import { readFile } from 'node:fs/promises';
import { AsterismError } from '../errors.js';
import { codeDimension } from '../solve/quad-code.js';
import type { SubIndex, SubIndexMeta } from './build.js';
import { readContainer, writeContainer, type SectionArray } from './container.js';
import { identityIds, kdTreeLevels, kdTreeNodeCount, type KdTree } from './kdtree.js';

/** Version of the sub-index layout inside the container (sections and metadata keys). */
export const SUBINDEX_LAYOUT_VERSION = 1;

interface StoredMeta extends SubIndexMeta {
  layoutVersion: number;
  starTree: { levels: number; leafSize: number };
  codeTree: { levels: number; leafSize: number };
}

/** Serialises a sub-index. */
export function writeSubIndex(index: SubIndex): Uint8Array {
  const meta: StoredMeta = {
    ...index.meta,
    layoutVersion: SUBINDEX_LAYOUT_VERSION,
    starTree: { levels: index.stars.levels, leafSize: index.meta.kdLeafSize },
    codeTree: { levels: index.codes.levels, leafSize: index.meta.kdLeafSize },
  };
  const sections: Record<string, SectionArray> = {
    starPoints: index.stars.points,
    starBounds: index.stars.bounds,
    starMags: index.mags,
    quads: index.quads,
    codePoints: index.codes.points,
    codeBounds: index.codes.bounds,
  };
  return writeContainer({ meta, sections });
}


/**
 * Parses a sub-index from the bytes of its file; the arrays are views of `bytes`.
 * @throws AsterismError E_INDEX_FORMAT, E_INDEX_TRUNCATED, E_INDEX_VERSION.
 */
export function readSubIndex(bytes: Uint8Array, label = 'sub-index file'): SubIndex {
  const { meta, sections } = readContainer<StoredMeta>(bytes, label);
  const bad = (why: string): never => {
    throw new AsterismError('E_INDEX_FORMAT', `${label}: ${why}`);
  };
  if (meta?.kind !== 'asterism-subindex') bad('not a sub-index (metadata kind is missing)');
  if (meta.layoutVersion !== SUBINDEX_LAYOUT_VERSION) {
    throw new AsterismError('E_INDEX_VERSION', `${label}: sub-index layout ${meta.layoutVersion}; this asterism reads ${SUBINDEX_LAYOUT_VERSION}`);
  }
  const k = meta.dimQuads;
  if (![3, 4, 5].includes(k) || meta.codeDim !== codeDimension(k)) bad(`inconsistent dimQuads ${k} / codeDim ${meta.codeDim}`);
  const section = <T extends SectionArray>(name: string, type: new (...args: never[]) => T, length: number): T => {
    const s = sections[name];
    if (!(s instanceof type)) bad(`section ${name} is missing or has the wrong type`);
    if (s.length !== length) bad(`section ${name} has ${s.length} values, expected ${length}`);
    return s as T;
  };
  const starCount = meta.starCount, quadCount = meta.quadCount;
  if (!Number.isInteger(starCount) || !Number.isInteger(quadCount) || starCount < 0 || quadCount < 0) bad('bad star or quad count');
  const tree = (prefix: 'star' | 'code', dim: number, count: number, info: { levels: number; leafSize: number }): KdTree => {
    if (!info || kdTreeLevels(count, info.leafSize) !== info.levels) bad(`${prefix} tree levels do not match its size`);
    const nodes = kdTreeNodeCount(info.levels);
    return {
      dim,
      count,
      levels: info.levels,
      points: section(`${prefix}Points`, Float64Array, count * dim),
      bounds: section(`${prefix}Bounds`, Float64Array, nodes * 2 * dim),
      // Stars and quads are stored in tree order, so tree position and id coincide.
      ids: identityIds(count),
    };
  };
  const stars = tree('star', 3, starCount, meta.starTree);
  const codes = tree('code', meta.codeDim, quadCount, meta.codeTree);
  const mags = section('starMags', Float32Array, starCount);
  const quads = section('quads', Uint32Array, quadCount * k);
  for (let i = 0; i < quads.length; i++) if (quads[i] >= starCount) bad(`quad ${Math.floor(i / k)} names star ${quads[i]} of ${starCount}`);
  const { layoutVersion: _v, starTree: _s, codeTree: _c, ...plain } = meta;
  return { meta: plain, stars, mags, quads, codes };
}

/** Reads and parses a sub-index file. */
export async function loadSubIndex(path: string): Promise<SubIndex> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new AsterismError('E_IO', `cannot read the index ${path}: ${(e as Error).message}`, { cause: e });
  }
  return readSubIndex(bytes, path);
}
