/**
 * The reference solver of the solve benchmark: astrometry.net's `solve-field` (Debian package
 * astrometry.net), run on the same frames and the same index files as asterism's `solve()`.
 *
 * It takes an image (written as a float FITS file; solve-field then finds the stars itself with
 * image2xy) or a star list (written as an xylist FITS table, so both solvers see exactly the same
 * stars), runs `solve-field` with a private config that lists only the given index files, and
 * reads the answer from the WCS file it writes. Wall time includes the process start and
 * astrometry-engine's loading (memory-mapping) of the index files, as a user of the command pays.
 *
 * @example
 * ```ts
 * const frame = await renderSkyStars({ seed: 1, index: '/usr/share/astrometry' });
 * const r = await runSolveField(frame, { indexDir: '/usr/share/astrometry', timeLimitSec: 30 });
 * console.log(r.solved, r.centerRa, r.centerDec, r.timeMs);
 * ```
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listFitsHdus, fitsCardValue } from '../../lib/image/fits-table.js';
import { concatBytes, fitsHeaderBytes, formatFitsCard, writeFits } from '../../lib/image/fits-write.js';
import type { Image } from '../../lib/image/image.js';
import { pixelToSky, tanWcsFromFits, tanWcsPixelScaleArcsec, type TanWcs } from '../../lib/sky/tan.js';

/** Where Debian's astrometry.net index files are installed. */
export const DEBIAN_INDEX_DIR = '/usr/share/astrometry';

/** A star list as `solve()` takes it. Positions: centre of the first pixel = (0, 0). */
export interface XyList {
  stars: ReadonlyArray<{ x: number; y: number; flux: number }>;
  width: number;
  height: number;
}

/** Options of {@link runSolveField}. */
export interface SolveFieldOptions {
  /** Scale hint: field width (or pixel scale) between low and high. */
  scaleLow?: number;
  scaleHigh?: number;
  /** Units of the scale hint (default 'degwidth'). */
  scaleUnits?: 'degwidth' | 'arcminwidth' | 'arcsecperpix';
  /** A directory whose index-*.fits files are used, or a list of index files (default {@link DEBIAN_INDEX_DIR}). */
  indexDir?: string | string[];
  /** solve-field's --cpulimit, seconds of CPU time (default 60). The process is killed after twice this in wall time plus 30 s. */
  timeLimitSec?: number;
  /** Ignore the scale hint even when given: a fully blind solve. */
  noHints?: boolean;
  /** Position hint: search only indexes within `radius` degrees of (ra, dec). */
  position?: { ra: number; dec: number; radius: number };
  /** Load and search the index files in parallel (astrometry.cfg `inparallel`; default false, as Debian ships it). */
  inParallel?: boolean;
  /** Keep the temporary directory (its path is in the result). */
  keepFiles?: boolean;
}

/** What {@link runSolveField} found. */
export interface SolveFieldResult {
  solved: boolean;
  /** Sky position of the image centre, degrees (NaN when not solved). */
  centerRa: number;
  centerDec: number;
  /** Arcseconds per pixel of the solution (NaN when not solved). */
  pixelScaleArcsec: number;
  /** The TAN part of the solution, in asterism pixel coordinates. */
  wcs?: TanWcs;
  /** Wall time of the solve-field process, ms. */
  timeMs: number;
  /** solve-field's standard output (and error, appended). */
  stdout: string;
  /** The temporary directory, when `keepFiles` was set. */
  dir?: string;
}

/** Bytes of one big-endian float64 binary-table column set: X, Y, FLUX (FITS 1-based pixel coordinates). */
function xylistFits(list: XyList): Uint8Array {
  const rows = [...list.stars].sort((a, b) => b.flux - a.flux);
  const rowBytes = 24;
  const data = new Uint8Array(Math.ceil((rows.length * rowBytes) / 2880) * 2880 || 0);
  const view = new DataView(data.buffer);
  rows.forEach((s, i) => {
    // astrometry.net's xylists use the FITS convention: the first pixel's centre is (1, 1).
    view.setFloat64(i * rowBytes, s.x + 1);
    view.setFloat64(i * rowBytes + 8, s.y + 1);
    view.setFloat64(i * rowBytes + 16, s.flux);
  });
  const primary = fitsHeaderBytes([
    formatFitsCard('SIMPLE', true, 'conforms to FITS standard'),
    formatFitsCard('BITPIX', 8),
    formatFitsCard('NAXIS', 0),
    formatFitsCard('EXTEND', true),
    formatFitsCard('IMAGEW', list.width, 'image width, pixels'),
    formatFitsCard('IMAGEH', list.height, 'image height, pixels'),
  ]);
  const table = fitsHeaderBytes([
    formatFitsCard('XTENSION', 'BINTABLE', 'binary table'),
    formatFitsCard('BITPIX', 8),
    formatFitsCard('NAXIS', 2),
    formatFitsCard('NAXIS1', rowBytes, 'bytes per row'),
    formatFitsCard('NAXIS2', rows.length, 'rows'),
    formatFitsCard('PCOUNT', 0),
    formatFitsCard('GCOUNT', 1),
    formatFitsCard('TFIELDS', 3),
    formatFitsCard('TTYPE1', 'X', 'pixels, first pixel centre = 1'),
    formatFitsCard('TFORM1', 'D'),
    formatFitsCard('TTYPE2', 'Y', 'pixels, first pixel centre = 1'),
    formatFitsCard('TFORM2', 'D'),
    formatFitsCard('TTYPE3', 'FLUX'),
    formatFitsCard('TFORM3', 'D'),
    formatFitsCard('IMAGEW', list.width),
    formatFitsCard('IMAGEH', list.height),
  ]);
  return concatBytes([primary, table, data]);
}

async function indexFiles(indexDir: string | string[]): Promise<string[]> {
  if (Array.isArray(indexDir)) return indexDir.map((p) => resolve(p));
  const names = await readdir(indexDir);
  return names.filter((n) => n.startsWith('index') && n.endsWith('.fits')).sort().map((n) => join(resolve(indexDir), n));
}

function isImage(value: unknown): value is Image {
  return typeof value === 'object' && value !== null && (value as Image).luminance instanceof Float32Array;
}

function run(args: string[], timeoutMs: number): Promise<{ stdout: string; code: number }> {
  return new Promise((done) => {
    execFile('solve-field', args, { maxBuffer: 64 << 20, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ stdout: `${stdout}${stderr ? `\n${stderr}` : ''}`, code });
    });
  });
}

/**
 * Runs astrometry.net's solve-field on an image, a FITS file or a star list.
 *
 * @param input - a path (a FITS image or xylist, passed as is), an {@link Image} (written as a
 *   BITPIX −32 FITS file; solve-field extracts the stars), or a star list (written as an xylist
 *   table with columns X, Y, FLUX; solve-field uses exactly these stars, brightest first).
 * @param options - scale hint, index files, CPU limit.
 * @returns whether it solved, the centre and pixel scale of its WCS, and the wall time.
 */
export async function runSolveField(input: string | Image | XyList, options: SolveFieldOptions = {}): Promise<SolveFieldResult> {
  const dir = await mkdtemp(join(tmpdir(), 'asterism-solve-field-'));
  try {
    const files = await indexFiles(options.indexDir ?? DEBIAN_INDEX_DIR);
    const cpuLimit = options.timeLimitSec ?? 60;
    const config = [
      ...(options.inParallel ? ['inparallel'] : []),
      `cpulimit ${cpuLimit}`,
      ...files.map((f) => `index ${f}`),
    ].join('\n');
    await writeFile(join(dir, 'astrometry.cfg'), `${config}\n`);
    const args = [
      '--no-plots', '--overwrite', '--dir', dir, '--config', join(dir, 'astrometry.cfg'),
      '--cpulimit', String(cpuLimit), '--out', 'field',
      '--new-fits', 'none', '--index-xyls', 'none', '--rdls', 'none', '--corr', 'none', '--match', 'none', '--temp-axy',
    ];
    if (!options.noHints && options.scaleLow !== undefined && options.scaleHigh !== undefined) {
      args.push('--scale-low', String(options.scaleLow), '--scale-high', String(options.scaleHigh), '--scale-units', options.scaleUnits ?? 'degwidth');
    }
    if (!options.noHints && options.position) {
      args.push('--ra', String(options.position.ra), '--dec', String(options.position.dec), '--radius', String(options.position.radius));
    }
    let file: string;
    if (typeof input === 'string') {
      file = resolve(input);
    } else if (isImage(input)) {
      file = join(dir, 'image.fits');
      await writeFile(file, writeFits(input.width, input.height, input.luminance));
      args.push('--fits-image', '--no-verify');
    } else {
      file = join(dir, 'stars.xyls');
      await writeFile(file, xylistFits(input));
      args.push('--width', String(input.width), '--height', String(input.height), '--x-column', 'X', '--y-column', 'Y', '--sort-column', 'FLUX');
    }
    args.push(file);
    const started = performance.now();
    const { stdout } = await run(args, (2 * cpuLimit + 30) * 1000);
    const timeMs = performance.now() - started;
    let wcs: TanWcs | undefined;
    let imageW = NaN, imageH = NaN;
    try {
      const bytes = new Uint8Array(await readFile(join(dir, 'field.wcs')));
      const cards = listFitsHdus(bytes)[0].cards;
      const num = (k: string) => Number(fitsCardValue(cards, k));
      wcs = tanWcsFromFits({ CRVAL1: num('CRVAL1'), CRVAL2: num('CRVAL2'), CRPIX1: num('CRPIX1'), CRPIX2: num('CRPIX2'), CD1_1: num('CD1_1'), CD1_2: num('CD1_2'), CD2_1: num('CD2_1'), CD2_2: num('CD2_2') });
      imageW = num('IMAGEW');
      imageH = num('IMAGEH');
    } catch {
      wcs = undefined;
    }
    let centerRa = NaN, centerDec = NaN;
    const line = /Field center: \(RA,Dec\) = \(([-\d.eE+]+), ([-\d.eE+]+)\) deg\./.exec(stdout);
    if (line) {
      centerRa = Number(line[1]);
      centerDec = Number(line[2]);
    } else if (wcs && Number.isFinite(imageW) && Number.isFinite(imageH)) {
      ({ ra: centerRa, dec: centerDec } = pixelToSky(wcs, (imageW - 1) / 2, (imageH - 1) / 2));
    }
    const solved = wcs !== undefined && Number.isFinite(centerRa);
    return {
      solved,
      centerRa,
      centerDec,
      pixelScaleArcsec: wcs ? tanWcsPixelScaleArcsec(wcs) : NaN,
      wcs,
      timeMs,
      stdout,
      ...(options.keepFiles ? { dir } : {}),
    };
  } finally {
    if (!options.keepFiles) await rm(dir, { recursive: true, force: true });
  }
}
