/**
 * Writes tiny astrometry.net-format index files for tests: the primary header and the
 * one-column BINTABLEs build-astrometry-index writes (see lib/skyindex/anet.ts for the layout),
 * with the kd-tree node tables as small placeholders (the reader skips them).
 */
import { concatBytes, fitsHeaderBytes, formatFitsCard } from '../../lib/image/fits-write.js';

/** Kd-tree data types the writer can store. */
export type AnetTreeType = 'u16' | 'u32' | 'double';

export interface AnetFixtureOptions {
  dimQuads: 3 | 4 | 5;
  littleEndian: boolean;
  /** starCount × 3 unit vectors. */
  stars: Float64Array;
  /** quadCount × dimQuads star indices. */
  quads: Uint32Array;
  /** quadCount × 2(dimQuads − 2) code values. */
  codes: Float64Array;
  codeType?: AnetTreeType;
  starType?: AnetTreeType;
  mags?: Float32Array;
  sweep?: Uint8Array;
  /** Extra or replacement primary cards, [keyword, value]. */
  primaryCards?: [string, string | number | boolean][];
  /** Overrides NQUADS / NSTARS / KDT_NDAT written in the headers (for inconsistent files). */
  nquadsCard?: number;
  ndatCodesCard?: number;
}

export interface AnetFixture {
  bytes: Uint8Array;
  /** What a correct reader returns: the values after quantisation. */
  codes: Float64Array;
  stars: Float64Array;
}

const BLOCK = 2880;

function header(cards: [string, string | number | boolean][]): Uint8Array {
  return fitsHeaderBytes(cards.map(([keyword, value]) => formatFitsCard(keyword, value)));
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** One BINTABLE HDU with one column. */
export function binTableHdu(name: string, form: string, rows: number, rowBytes: number, data: Uint8Array, extra: [string, string | number | boolean][] = []): Uint8Array[] {
  return [
    header([
      ['XTENSION', 'BINTABLE'], ['BITPIX', 8], ['NAXIS', 2], ['NAXIS1', rowBytes], ['NAXIS2', rows],
      ['PCOUNT', 0], ['GCOUNT', 1], ['TFIELDS', 1], ['TFORM1', form], ['TTYPE1', name], ...extra,
    ]),
    padded(data),
  ];
}

const ENDIAN_CARD = (little: boolean): [string, string] => ['ENDIAN', little ? '04:03:02:01' : '01:02:03:04'];

function treeHdus(tree: string, values: Float64Array, dim: number, type: AnetTreeType, little: boolean, ndat: number): { hdus: Uint8Array[]; decoded: Float64Array } {
  const n = values.length / dim;
  const bytes = type === 'u16' ? 2 : type === 'u32' ? 4 : 8;
  const data = new Uint8Array(n * dim * bytes);
  const view = new DataView(data.buffer);
  const decoded = new Float64Array(values.length);
  const mins = new Array<number>(dim).fill(Infinity);
  const maxs = new Array<number>(dim).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    mins[i % dim] = Math.min(mins[i % dim], values[i]);
    maxs[i % dim] = Math.max(maxs[i % dim], values[i]);
  }
  const span = Math.max(1e-9, ...maxs.map((m, d) => m - mins[d]));
  const scale = (type === 'u16' ? 65535 : 4294967295) / span;
  for (let i = 0; i < values.length; i++) {
    if (type === 'double') {
      view.setFloat64(i * 8, values[i], little);
      decoded[i] = values[i];
      continue;
    }
    const q = Math.round((values[i] - mins[i % dim]) * scale);
    if (type === 'u16') view.setUint16(i * 2, q, little);
    else view.setUint32(i * 4, q, little);
    decoded[i] = mins[i % dim] + q * (1 / scale);
  }
  const range = new Uint8Array((2 * dim + 1) * 8);
  const rv = new DataView(range.buffer);
  [...mins, ...maxs, scale].forEach((v, k) => rv.setFloat64(k * 8, v, little));
  const kdt: [string, string | number | boolean][] = [
    ENDIAN_CARD(little), ['KDT_NAME', tree], ['KDT_NDAT', ndat], ['KDT_NDIM', dim], ['KDT_NNOD', 1], ['KDT_VER', 1],
    ['KDT_EXT', 'double'], ['KDT_INT', type], ['KDT_DATA', type], ['KDT_LINL', false],
  ];
  const hdus = [
    ...binTableHdu(`kdtree_header_${tree}`, '0A', 0, 0, new Uint8Array(0), kdt),
    ...binTableHdu(`kdtree_lr_${tree}`, '4A', 1, 4, new Uint8Array(4)),
    ...(type === 'double' ? [] : binTableHdu(`kdtree_range_${tree}`, '8A', 2 * dim + 1, 8, range)),
    ...binTableHdu(`kdtree_data_${tree}`, `${dim * bytes}A`, n, dim * bytes, data),
  ];
  return { hdus, decoded };
}

/**
 * Builds the bytes of an index file holding `stars`, `quads` and `codes`.
 *
 * @example
 * ```ts
 * const { bytes, codes } = writeAnetFixture({ dimQuads: 4, littleEndian: true, stars, quads, codes: rawCodes });
 * ```
 */
export function writeAnetFixture(o: AnetFixtureOptions): AnetFixture {
  const little = o.littleEndian;
  const quadCount = o.quads.length / o.dimQuads;
  const starCount = o.stars.length / 3;
  const primary: [string, string | number | boolean][] = [
    ['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0], ['EXTEND', true], ENDIAN_CARD(little), ['AN_FILE', 'QUAD'],
    ['DIMQUADS', o.dimQuads], ['NQUADS', o.nquadsCard ?? quadCount], ['NSTARS', starCount],
    ['SCALE_U', 0.0494509954732], ['SCALE_L', 0.0349065850399], ['INDEXID', 4112], ['HEALPIX', -1], ['HPNSIDE', 1],
  ];
  for (const [k, v] of o.primaryCards ?? []) {
    const at = primary.findIndex(([key]) => key === k);
    if (at >= 0) primary[at] = [k, v];
    else primary.push([k, v]);
  }
  const quadBytes = new Uint8Array(o.quads.length * 4);
  const qv = new DataView(quadBytes.buffer);
  o.quads.forEach((s, i) => qv.setUint32(i * 4, s, little));
  const codes = treeHdus('codes', o.codes, 2 * (o.dimQuads - 2), o.codeType ?? 'u16', little, o.ndatCodesCard ?? quadCount);
  const stars = treeHdus('stars', o.stars, 3, o.starType ?? 'u32', little, starCount);
  const parts: Uint8Array[] = [
    header(primary),
    ...binTableHdu('quads', `${4 * o.dimQuads}A`, quadCount, 4 * o.dimQuads, quadBytes),
    ...codes.hdus,
    ...stars.hdus,
  ];
  if (o.sweep) parts.push(...binTableHdu('sweep', '1B', starCount, 1, o.sweep));
  if (o.mags) {
    // Tag-along columns are standard FITS: big-endian whatever ENDIAN says.
    const m = new Uint8Array(starCount * 4);
    const mv = new DataView(m.buffer);
    o.mags.forEach((v, i) => mv.setFloat32(i * 4, v, false));
    parts.push(...binTableHdu('MAG_VT', '1E', starCount, 4, m));
  }
  const bytes = concatBytes(parts);
  return { bytes, codes: codes.decoded, stars: stars.decoded };
}
