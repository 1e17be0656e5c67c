/** `asterism index info|build`: describe index files, or build a series of sub-indices from a star catalogue. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsterismError } from '../../errors.js';
import type { IndexSetEntry } from '../../skyindex/index-set.js';
import type { Command, CommandArgs, CommandContext } from '../main.js';
import { createProgressBar } from '../progress.js';

/** Ratio between the largest and smallest quad diameter of one sub-index (Lang et al. 2010). */

function arcmin(deg: number): string {
  const v = deg * 60;
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** HEALPix layout: the one pixel an astrometry.net file covers (−1 all-sky), or asterism's two grids. */
type Grid = { pixel: number; nside: number } | { quadNside: number; starNside: number };

/** What `index info --json` prints per sub-index. Angles in arcminutes. */
function describe(entry: IndexSetEntry, servedHighDeg: number) {
  const m = entry.index.meta;
  const anet = entry.format === 'astrometry.net';
  return {
    path: entry.path,
    format: entry.format,
    indexId: m.indexId,
    quadDiameterArcmin: { low: m.scaleLowerDeg * 60, high: m.scaleUpperDeg * 60 },
    imageWidthArcmin: { low: m.scaleLowerDeg * 60, high: servedHighDeg * 60 },
    stars: m.starCount,
    quads: m.quadCount,
    dimQuads: m.dimQuads,
    healpix: (anet ? { pixel: entry.healpix?.pixel ?? -1, nside: entry.healpix?.nside ?? 0 } : { quadNside: m.quadNside, starNside: m.starNside }) as Grid,
    /** Fraction of the quad grid's cells holding a quad; null when the file does not say. */
    cellCoverage: anet ? null : m.cellCoverage,
    catalog: m.catalog,
  };
}

function infoText(d: ReturnType<typeof describe>): string {
  const grid = 'pixel' in d.healpix
    ? (d.healpix.pixel < 0 ? 'all-sky' : `HEALPix ${d.healpix.pixel} of nside ${d.healpix.nside}`)
    : `quads on nside ${d.healpix.quadNside}, stars on nside ${d.healpix.starNside}`;
  return [
    `${d.path} (${d.format}, id ${d.indexId})`,
    `  quad diameters ${arcmin(d.quadDiameterArcmin.low / 60)}–${arcmin(d.quadDiameterArcmin.high / 60)} arcmin; serves images ${arcmin(d.imageWidthArcmin.low / 60)}–${arcmin(d.imageWidthArcmin.high / 60)} arcmin wide`,
    `  ${d.stars} stars, ${d.quads} quads of ${d.dimQuads} stars`,
    `  grid: ${grid}${d.cellCoverage === null ? '' : `; ${(d.cellCoverage * 100).toFixed(1)}% of quad cells hold a quad`}`,
    `  catalogue: ${d.catalog.source}`,
  ].join('\n');
}

async function runInfo(args: CommandArgs, { stdout, signal }: CommandContext): Promise<number> {
  const { loadIndex, servedWidthsDeg } = await import('../../skyindex/index-set.js');
  const set = await loadIndex(args.positionals, { signal });
  const described = set.subIndices.map((e) => describe(e, servedWidthsDeg(e.index).high));
  if (args.flag('json')) stdout.write(`${JSON.stringify(described)}\n`);
  else stdout.write(`${described.map(infoText).join('\n\n')}\n`);
  return 0;
}

async function runBuild(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const catalogPath = args.string('catalog');
  const out = args.string('out');
  const scaleMin = args.number('scale-min', { min: 0, exclusiveMin: true });
  const scaleMax = args.number('scale-max', { min: 0, exclusiveMin: true });
  const dimQuads = args.number('dim-quads', { integer: true, min: 3 }) ?? 4;
  const starsPerCell = args.number('stars-per-cell', { integer: true, min: 1 });
  const passes = args.number('passes', { integer: true, min: 1 });
  const missing = [['catalog', catalogPath], ['scale-min', scaleMin], ['scale-max', scaleMax], ['out', out]].filter(([, v]) => v === undefined).map(([k]) => `--${k}`);
  if (missing.length) throw new AsterismError('E_INVALID_ARGUMENT', `index build needs ${missing.join(', ')}`);
  if (dimQuads !== 3 && dimQuads !== 4 && dimQuads !== 5) throw new AsterismError('E_INVALID_ARGUMENT', `--dim-quads must be 3, 4 or 5, got ${dimQuads}`);
  if (!(scaleMax! > scaleMin!)) throw new AsterismError('E_INVALID_ARGUMENT', `--scale-max (${scaleMax}) must be larger than --scale-min (${scaleMin})`);
  if (scaleMax! > 60) throw new AsterismError('E_INVALID_ARGUMENT', `--scale-max must be at most 60 degrees, got ${scaleMax}`);

  const [{ readCatalog }, { buildSubIndexAsync, indexScaleSeries }, { writeSubIndex }] = await Promise.all([
    import('../../skyindex/catalog.js'),
    import('../../skyindex/build.js'),
    import('../../skyindex/subindex-file.js'),
  ]);
  const series = indexScaleSeries(scaleMin!, scaleMax!);
  const hdu = args.string('hdu');
  const catalog = await readCatalog(catalogPath!, {
    raColumn: args.string('ra-col'), decColumn: args.string('dec-col'), magColumn: args.string('mag-col'),
    // A number is an HDU number (0 = primary), anything else an EXTNAME.
    hdu: hdu !== undefined && /^\s*\d+\s*$/.test(hdu) ? Number(hdu) : hdu,
    signal,
  });
  try {
    await mkdir(out!, { recursive: true });
  } catch (e) {
    throw new AsterismError('E_IO', `cannot create ${out}: ${(e as Error).message}`, { cause: e });
  }
  const written: string[] = [];
  const bar = createProgressBar('index build', { stream: stderr });
  try {
    for (const [i, [lo, hi]] of series.entries()) {
      const label = `sub-index ${i + 1} of ${series.length} (${arcmin(lo)}–${arcmin(hi)} arcmin)`;
      const index = await buildSubIndexAsync(catalog, {
        scaleLowerDeg: lo, scaleUpperDeg: hi, dimQuads, starsPerCell, passes, indexId: i, signal,
        onProgress: (f, stage) => bar.update((i + f) / series.length, `${label}: ${stage}`),
      });
      const path = join(out!, `asterism-${String(i).padStart(2, '0')}-${arcmin(lo)}-${arcmin(hi)}arcmin.idx`);
      try {
        await writeFile(path, writeSubIndex(index));
      } catch (e) {
        throw new AsterismError('E_IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
      }
      written.push(`${path}: ${index.meta.starCount} stars, ${index.meta.quadCount} quads, ${(index.meta.cellCoverage * 100).toFixed(1)}% of cells covered`);
      if (signal.aborted) throw new AsterismError('E_ABORTED', 'building the index was aborted');
    }
  } finally {
    bar.done();
  }
  stdout.write(`${catalog.ra.length} stars read from ${catalogPath}${catalog.skippedRows ? ` (${catalog.skippedRows} rows skipped)` : ''}\n${written.join('\n')}\n`);
  return 0;
}

const infoCommand: Command = {
  name: 'index info',
  summary: 'describe index files: scales, image widths served, stars, quads',
  description:
    'Loads asterism sub-index files (*.idx) and astrometry.net index files (*.fits), or every such file in the given ' +
    'directories, and prints for each: its quad diameters and the image widths it serves (quads from 10% to 100% of the ' +
    'image width), its star and quad counts, stars per quad, HEALPix grid and sky coverage.',
  positionals: [{ name: 'file|dir', description: 'index files or directories holding them', variadic: true }],
  options: {
    json: { type: 'boolean', description: 'print a JSON array with one object per sub-index (angles in arcminutes)' },
  },
  examples: ['asterism index info indexes/', 'asterism index info /usr/share/astrometry/index-tycho2-12.littleendian.fits --json'],
  run: runInfo,
};

const buildCommand: Command = {
  name: 'index build',
  summary: 'build sub-indices from a star catalogue',
  description:
    'Reads a star catalogue with RA and Dec in degrees and a magnitude: a CSV or TSV file with a header line, a FITS ' +
    'binary table (Tycho-2, Gaia or other exports; the first table with the three columns, or --hdu), or the stars of an ' +
    'astrometry.net index file (recognised by content). It then builds one sub-index per ' +
    'step of √2 in quad diameter from --scale-min to --scale-max, writing each to --out as ' +
    'asterism-<id>-<low>-<high>arcmin.idx. An image W degrees wide needs sub-indices covering diameters 0.1 W to W.',
  positionals: [],
  options: {
    catalog: { type: 'string', value: 'file', description: 'the star catalogue: CSV/TSV, FITS table or astrometry.net index (required)' },
    'ra-col': { type: 'string', value: 'name', description: 'right ascension column, degrees (default: ra, raj2000, ra_icrs, …, ramdeg)' },
    'dec-col': { type: 'string', value: 'name', description: 'declination column, degrees (default: dec, dej2000, de_icrs, …, demdeg)' },
    'mag-col': { type: 'string', value: 'name', description: 'magnitude column (default: mag, vmag, vtmag, gmag, phot_g_mean_mag, …)' },
    hdu: { type: 'string', value: 'n|name', description: 'FITS catalogue: the binary table to read, by HDU number or EXTNAME (default: the first with the columns)' },
    'scale-min': { type: 'string', value: 'deg', description: 'smallest quad diameter, degrees (required)' },
    'scale-max': { type: 'string', value: 'deg', description: 'largest quad diameter, degrees, at most 60 (required)' },
    out: { type: 'string', value: 'dir', description: 'directory to write the sub-indices to, created if needed (required)' },
    'dim-quads': { type: 'string', value: 'n', description: 'stars per quad: 3, 4 or 5 (default 4)' },
    'stars-per-cell': { type: 'string', value: 'n', description: 'brightest stars kept per fine HEALPix cell (default 8)' },
    passes: { type: 'string', value: 'n', description: 'visits of the quad grid placing quads (default 2)' },
  },
  examples: [
    'asterism index build --catalog tycho2.csv --mag-col vtmag --scale-min 0.5 --scale-max 8 --out indexes/',
    'asterism index build --catalog gaia.fits --hdu 1 --mag-col phot_g_mean_mag --scale-min 0.5 --scale-max 8 --out indexes/',
  ],
  run: runBuild,
};

/** `asterism index <action>`. */
export const indexCommand: Command = {
  name: 'index',
  summary: 'inspect or build sky indexes',
  description: 'Sky indexes hold the star quads the solver matches images against. `info` describes index files; `build` makes them from a star catalogue.',
  positionals: [],
  options: {},
  actions: [infoCommand, buildCommand],
  run: async () => {
    throw new AsterismError('E_INVALID_ARGUMENT', 'index needs an action: info or build');
  },
};
