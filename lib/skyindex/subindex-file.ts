/**
 * Sub-index files: a {@link SubIndex} in the container of ./container.ts. The arrays are stored
 * exactly as they are searched (kd-trees in their implicit layout, stars and quads in tree
 * order), so loading is one read plus checks; docs/index-format.md lists the sections.
 */
import { readFile } from 'node:fs/promises';
import { AsterismError } from '../errors.js';
import { codeDimension } from '../solve/quad-code.js';
import { readContainer, writeContainer, type SectionArray } from './container.js';
import { kdTreeLevels, kdTreeNodeCount, type KdTree } from './kdtree.js';
import type { SubIndex, SubIndexMeta } from './subindex.js';

/**
 * Version of the sub-index layout inside the container (sections and metadata keys). 2: star
 * vectors as u32 and codes as u16 with their quantisation in the metadata (1 stored doubles).
 */
export const SUBINDEX_LAYOUT_VERSION = 2;

/** A tree's shape and quantisation (real = offset[d] + scale × stored), kept in the metadata JSON. */
interface StoredTree {
  levels: number;
  leafSize: number;
  offset: number[];
  scale: number;
}

interface StoredMeta extends SubIndexMeta {
  layoutVersion: number;
  starTree: StoredTree;
  codeTree: StoredTree;
}

function storedTree(tree: KdTree, leafSize: number, what: string): StoredTree {
  if (!tree.quantisation || tree.ids) {
    throw new AsterismError('E_INVALID_ARGUMENT', `the ${what} tree must be quantised and in tree order (as buildSubIndex makes it)`);
  }
  return { levels: tree.levels, leafSize, offset: Array.from(tree.quantisation.offset), scale: tree.quantisation.scale };
}

/** Serialises a sub-index (as made by buildSubIndex: quantised trees, data in tree order). */
export function writeSubIndex(index: SubIndex): Uint8Array {
  const meta: StoredMeta = {
    ...index.meta,
    layoutVersion: SUBINDEX_LAYOUT_VERSION,
    starTree: storedTree(index.stars, index.meta.kdLeafSize, 'star'),
    codeTree: storedTree(index.codes, index.meta.kdLeafSize, 'code'),
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
  const tree = <T extends Uint16Array | Uint32Array>(prefix: 'star' | 'code', type: new (...args: never[]) => T, dim: number, count: number, info: StoredTree): KdTree => {
    if (!info || kdTreeLevels(count, info.leafSize) !== info.levels) bad(`${prefix} tree levels do not match its size`);
    const { offset, scale } = info;
    if (!Array.isArray(offset) || offset.length !== dim || !offset.every(Number.isFinite) || !(Number.isFinite(scale) && scale > 0)) {
      bad(`${prefix} tree quantisation is malformed`);
    }
    const nodes = kdTreeNodeCount(info.levels);
    // Stars and quads are stored in tree order, so tree position and id coincide: no ids.
    return {
      dim,
      count,
      levels: info.levels,
      points: section(`${prefix}Points`, type, count * dim),
      bounds: section(`${prefix}Bounds`, type, nodes * 2 * dim),
      quantisation: { offset: Float64Array.from(offset), scale },
    };
  };
  const stars = tree('star', Uint32Array, 3, starCount, meta.starTree);
  const codes = tree('code', Uint16Array, meta.codeDim, quadCount, meta.codeTree);
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
