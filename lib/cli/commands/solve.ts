/** `asterism solve`: blind astrometric calibration of one image; prints the answer, writes a .wcs and an overlay. */
import { writeFile } from 'node:fs/promises';
import { AsterismError } from '../../errors.js';
import { formatDecDms, formatRaHms } from '../../sky/sexagesimal.js';
import type { Image } from '../../image/image.js';
import type { SolveOptions, SolveResult } from '../../solve/types.js';
import { EXIT, type Command, type CommandArgs, type CommandContext, type OptionSpec } from '../main.js';
import { createProgressBar } from '../progress.js';

/**
 * The solve hints and settings of `asterism solve`, also taken by the commands that solve first
 * (`asterism field`); read them with {@link readSolveHints}.
 */
export const solveHintOptions: Record<string, OptionSpec> = {
  'scale-low': { type: 'string', value: 'x', description: 'lower bound of the image scale, in --scale-units' },
  'scale-high': { type: 'string', value: 'x', description: 'upper bound of the image scale, in --scale-units' },
  'scale-units': { type: 'string', value: 'units', description: 'degwidth, arcminwidth (of the longer side) or arcsecperpix (default degwidth)' },
  ra: { type: 'string', value: 'deg', description: 'right ascension of a position hint, degrees (with --dec and --radius)' },
  dec: { type: 'string', value: 'deg', description: 'declination of a position hint, degrees' },
  radius: { type: 'string', value: 'deg', description: 'how far the image centre may be from --ra/--dec, degrees' },
  index: { type: 'string', value: 'path', multiple: true, description: 'an index file or directory; repeat for more (default: the shipped index)' },
  parity: { type: 'string', value: 'p', description: 'normal, flipped or both (default both)' },
  'time-limit': { type: 'string', value: 'seconds', description: 'give up after this long (default 60)' },
  'sip-order': { type: 'string', value: 'n', description: 'SIP distortion order of the fit, 0–5 (default 2)' },
  'max-stars': { type: 'string', value: 'n', description: 'brightest stars to build quads from (default 100)' },
  'max-pixels': { type: 'string', value: 'n', description: 'refuse larger images (default 250 megapixels)' },
};

/** The options of {@link solveHintOptions}, checked, as `solve()` takes them, and the pixel limit for decoding. */
export function readSolveHints(args: CommandArgs): SolveOptions & { maxPixels?: number } {
  const low = args.number('scale-low', { min: 0, exclusiveMin: true });
  const high = args.number('scale-high', { min: 0, exclusiveMin: true });
  const units = args.string('scale-units') ?? 'degwidth';
  if (!['degwidth', 'arcminwidth', 'arcsecperpix'].includes(units)) throw new AsterismError('E_INVALID_ARGUMENT', `--scale-units must be degwidth, arcminwidth or arcsecperpix, got '${units}'`);
  if ((low === undefined) !== (high === undefined)) throw new AsterismError('E_INVALID_ARGUMENT', '--scale-low and --scale-high go together');
  if (low !== undefined && high! < low) throw new AsterismError('E_INVALID_ARGUMENT', `--scale-high (${high}) must be at least --scale-low (${low})`);
  const ra = args.number('ra'), dec = args.number('dec'), radius = args.number('radius', { min: 0, exclusiveMin: true });
  const given = [ra, dec, radius].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) throw new AsterismError('E_INVALID_ARGUMENT', '--ra, --dec and --radius go together');
  const parity = args.string('parity');
  if (parity !== undefined && !['normal', 'flipped', 'both'].includes(parity)) throw new AsterismError('E_INVALID_ARGUMENT', `--parity must be normal, flipped or both, got '${parity}'`);
  const timeLimitSec = args.number('time-limit', { min: 0, exclusiveMin: true });
  const indexes = args.strings('index');
  return {
    scale: low !== undefined ? { low, high: high!, units: units as 'degwidth' } : undefined,
    position: given === 3 ? { ra: ra!, dec: dec!, radius: radius! } : undefined,
    parity: parity as SolveOptions['parity'],
    timeLimit: timeLimitSec !== undefined ? timeLimitSec * 1000 : undefined,
    index: indexes.length ? indexes : undefined,
    sipOrder: args.number('sip-order', { integer: true, min: 0 }),
    maxStars: args.number('max-stars', { integer: true, min: 4 }),
    maxPixels: args.number('max-pixels', { integer: true, min: 1 }),
  };
}

function readOptions(args: CommandArgs): SolveOptions & { json: boolean; wcsOut?: string; overlay?: string; maxPixels?: number } {
  return { ...readSolveHints(args), json: args.flag('json'), wcsOut: args.string('wcs'), overlay: args.string('overlay') };
}

function summary(path: string, r: SolveResult): string {
  const t = `${(r.timings.total / 1000).toFixed(2)} s`;
  if (!r.solved) return `${path}: not solved (${r.reason}); ${r.quadsTried} quads, ${r.hypothesesTested} hypotheses, ${r.starsUsed} stars, ${t}\n`;
  return [
    `${path}: solved in ${t}`,
    `  centre      RA ${r.center!.ra.toFixed(5)}°  Dec ${r.center!.dec.toFixed(5)}°  (${formatRaHms(r.center!.ra)} ${formatDecDms(r.center!.dec)})`,
    `  scale       ${r.pixelScale!.toFixed(3)} arcsec/pixel; field ${(r.fieldWidth! * 60).toFixed(1)}′ × ${(r.fieldHeight! * 60).toFixed(1)}′`,
    `  rotation    up is ${r.rotation!.toFixed(2)}° east of north; parity ${r.parity}`,
    `  match       ${r.matches!.length} stars, log-odds ${r.logOdds!.toFixed(1)}, index ${r.index}`,
    '',
  ].join('\n');
}

/** What `--json` prints: the result without the WCS helper functions, plus the time. */
function jsonOf(r: SolveResult): Record<string, unknown> {
  const { wcs, ...rest } = r;
  return {
    ...rest,
    timeMs: r.timings.total,
    wcs: wcs ? { ...wcs.fits, crval: wcs.crval, crpix: wcs.crpix, cd: wcs.cd, sip: wcs.sip } : undefined,
  };
}

async function run(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const [path] = args.positionals;
  const { json, wcsOut, overlay, maxPixels, ...solveOptions } = readOptions(args);
  const [{ loadImage }, { solve }] = await Promise.all([import('../../image/load.js'), import('../../solve/solve.js')]);
  const bar = createProgressBar('solve', { stream: stderr });
  let image: Image, result: SolveResult;
  try {
    bar.update(NaN, `decoding ${path}`);
    image = await loadImage(path, { maxPixels, signal });
    result = await solve(image, {
      ...solveOptions,
      signal,
      onProgress: (p) => bar.update(NaN, `${p.stage}: ${p.starsUsed} stars, ${p.quadsTried} quads, ${p.hypothesesTested} hypotheses`),
    });
    if (result.solved && wcsOut !== undefined) {
      const { writeWcsHeaderFile } = await import('../../sky/wcs.js');
      try {
        await writeFile(wcsOut, writeWcsHeaderFile({ ...result.wcs!, imageWidth: image.width, imageHeight: image.height }));
      } catch (e) {
        throw new AsterismError('E_IO', `cannot write the WCS to ${wcsOut}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (result.solved && overlay !== undefined) {
      bar.update(NaN, 'drawing the overlay');
      const [{ renderSolvedOverlay }, { overlayObjects }] = await Promise.all([import('../../render/solved-overlay.js'), import('../../catalog/objects.js')]);
      const png = await renderSolvedOverlay(image, { wcs: result.wcs!, matches: result.matches!, fieldWidth: result.fieldWidth! }, await overlayObjects(result.center!, Math.hypot(result.fieldWidth!, result.fieldHeight!) / 2));
      try {
        await writeFile(overlay, png);
      } catch (e) {
        throw new AsterismError('E_IO', `cannot write the overlay to ${overlay}: ${(e as Error).message}`, { cause: e });
      }
    }
  } finally {
    bar.done();
  }
  if (json) stdout.write(`${JSON.stringify(jsonOf(result))}\n`);
  else {
    stdout.write(summary(path, result));
    if (result.solved && wcsOut !== undefined) stdout.write(`WCS written to ${wcsOut}\n`);
    if (result.solved && overlay !== undefined) stdout.write(`overlay written to ${overlay}\n`);
  }
  return result.solved ? EXIT.ok : EXIT.noResult;
}

/** `asterism solve <image>`. */
export const solveCommand: Command = {
  name: 'solve',
  summary: 'find where an image points: centre, scale, rotation, parity and a WCS',
  description:
    'Blind astrometric calibration (the method of astrometry.net): finds the stars, matches quads of them against ' +
    'the sky index, and accepts a match only when its log-odds pass ln 1e9. Hints make it faster but are not needed. ' +
    'Uses the index shipped with asterism (Tycho-2, images about 1°–30° wide) unless --index names others ' +
    '(astrometry.net index files work as they are). Exit status 0 when solved, 1 when not.',
  positionals: [{ name: 'image', description: 'FITS, JPEG, PNG, TIFF, WebP or GIF file' }],
  options: {
    ...solveHintOptions,
    json: { type: 'boolean', description: 'print one JSON object: solved, center, pixelScale, rotation, parity, fieldWidth, fieldHeight, logOdds, timeMs, wcs, …' },
    wcs: { type: 'string', value: 'out.wcs', description: 'write the solution as a FITS header file (astropy, ds9)' },
    overlay: { type: 'string', value: 'out.png', description: 'write a PNG with the matched stars circled, an RA/Dec grid and catalogued objects labelled' },
  },
  examples: [
    'asterism solve m45.jpg',
    'asterism solve field.fits --scale-low 1 --scale-high 3 --wcs field.wcs --overlay solved.png',
    'asterism solve frame.fits --index /usr/share/astrometry --json',
  ],
  run,
};
