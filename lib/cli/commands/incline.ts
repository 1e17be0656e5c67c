/**
 * `asterism incline`: a galaxy's inclination with IncliNET's model ensemble, from an image of it,
 * or from an image source by PGC number, name or position.
 */
import { writeFile } from 'node:fs/promises';
import { AsterismError, isAsterismError } from '../../errors.js';
import type { InclineSkyResult } from '../../cutout/incline-sky.js';
import type { Pixels8 } from '../../image/png.js';
import type { InclineResult } from '../../incline/types.js';
import { EXIT, type Command, type CommandArgs, type CommandContext } from '../main.js';
import { createProgressBar } from '../progress.js';

function summary(label: string, r: InclineResult, extra: string[] = []): string {
  const i = r.inclinations.summary, rej = r.rejection_likelihood.summary;
  const groups = Object.entries(r.inclinations).filter(([name]) => name !== 'summary') as Array<[string, Record<string, number>]>;
  const models = groups.reduce((n, [, g]) => n + Object.keys(g).length, 0);
  const groupLines = groups.map(([name, g]) => `  ${name.padEnd(8)} ${Object.entries(g).map(([m, d]) => `${m} ${d}°`).join(', ')}`);
  const binaries = Object.entries(r.rejection_likelihood)
    .filter(([name]) => name !== 'summary')
    .map(([name, p]) => `${name} ${p as number} %`).join(', ');
  return [
    `${label}: inclination ${i.median}° ± ${i.stdev}° (median ± stdev of ${models} models; mean ${i.mean}°)`,
    `rejection likelihood ${rej.median} % (median; mean ${rej.mean} %, stdev ${rej.stdev} %)`,
    ...extra,
    '',
    ...groupLines,
    `  rejection ${binaries}`,
    '',
  ].join('\n');
}

function usage(message: string): never {
  throw new AsterismError('E_INVALID_ARGUMENT', message);
}

/** `--at RA,DEC` in degrees. */
function parseAt(text: string): { ra: number; dec: number } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const [ra, dec] = parts.map(Number);
  if (parts.length !== 2 || !Number.isFinite(ra) || !Number.isFinite(dec) || dec < -90 || dec > 90) {
    usage(`--at expects RA,DEC in degrees (for example --at 339.2673,34.4156), got '${text}'`);
  }
  return { ra, dec };
}

/** The label of a galaxy in the summary: 'PGC 69327 (NGC 7331)', or the coordinate name. */
function galaxyLabel({ galaxy }: InclineSkyResult): string {
  const where = `RA ${galaxy.ra.toFixed(4)}°, Dec ${galaxy.dec.toFixed(4)}°, field ${galaxy.fov.toFixed(2)}′, PA ${galaxy.pa.toFixed(1)}°`;
  const name = galaxy.pgc === null ? galaxy.objname : galaxy.objname === `PGC ${galaxy.pgc}` ? galaxy.objname : `PGC ${galaxy.pgc} (${galaxy.objname})`;
  return `${name} at ${where}`;
}

async function runSky(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const pgc = args.number('pgc', { integer: true, min: 1 });
  const name = args.string('name');
  const at = args.string('at');
  const fov = args.number('fov', { min: 0, exclusiveMin: true });
  const pa = args.number('pa');
  const cutoutPath = args.string('cutout');
  const catalogs = args.strings('catalog');
  if (at !== undefined && fov === undefined) usage('--at needs --fov, the field of view in arcminutes (IncliNET: 1.5 × D25)');
  if (at === undefined && fov !== undefined) usage('--fov goes with --at; --pgc and --name take 1.5 × D25 from the catalogue');
  if (at === undefined && pa !== undefined) usage('--pa goes with an image or --at; --pgc and --name take the PA from the catalogue');
  if (at !== undefined && catalogs.length) usage('--catalog goes with --pgc or --name');
  const position = at === undefined ? undefined : parseAt(at);
  const [{ inclineAt, inclineByName, inclineByPgc, inclinetResponse }, { closeIncline }, { readModelManifest }] = await Promise.all([
    import('../../cutout/incline-sky.js'),
    import('../../incline/incline.js'),
    import('../../incline/manifest.js'),
  ]);
  if (readModelManifest().models.some((m) => m.trained === false)) {
    stderr.write('asterism: warning: the installed inclination models are untrained placeholders; the numbers mean nothing yet\n');
  }
  const options = { imageSource: args.string('image-source'), signal, keepCutout: cutoutPath !== undefined, catalogs };
  const what = pgc !== undefined ? `PGC ${pgc}` : name !== undefined ? name : `RA ${position!.ra}, Dec ${position!.dec}`;
  const bar = createProgressBar('incline', { stream: stderr });
  let r: InclineSkyResult;
  try {
    bar.update(NaN, `fetching an image of ${what} and estimating its inclination`);
    r = pgc !== undefined ? await inclineByPgc(pgc, options)
      : name !== undefined ? await inclineByName(name, options)
      : await inclineAt(position!.ra, position!.dec, fov!, { ...options, pa });
  } catch (e) {
    // Not in the catalogue: the command ran but found nothing (exit 1), as `asterism --help` says.
    if (isAsterismError(e) && e.code === 'E_NOT_FOUND') {
      stderr.write(`asterism: ${e.message} (${e.code})\n`);
      return EXIT.noResult;
    }
    throw e;
  } finally {
    bar.done();
    await closeIncline();
  }
  if (cutoutPath !== undefined) {
    const { encodePng } = await import('../../image/png.js');
    try {
      await writeFile(cutoutPath, await encodePng(r.cutout! as Pixels8));
    } catch (e) {
      throw new AsterismError('E_IO', `cannot write the cutout to ${cutoutPath}: ${(e as Error).message}`, { cause: e });
    }
  }
  stdout.write(args.flag('json') ? `${JSON.stringify(inclinetResponse(r))}\n` : summary(galaxyLabel(r), r.result, [`image: ${r.origin}`]));
  return EXIT.ok;
}

async function run(args: CommandArgs, context: CommandContext): Promise<number> {
  const { stdout, stderr, signal } = context;
  const [path] = args.positionals;
  const sky = ['pgc', 'name', 'at'].filter((o) => args.string(o) !== undefined);
  if (sky.length > 1) usage(`give one of --pgc, --name and --at, not ${sky.map((o) => `--${o}`).join(' and ')}`);
  if (path !== undefined && sky.length) usage(`give an image or --${sky[0]}, not both`);
  if (path === undefined && !sky.length) usage('missing <image> (or --pgc N, --name NAME or --at RA,DEC --fov ARCMIN with an image source)');
  if (sky.length) return runSky(args, context);
  for (const option of ['image-source', 'cutout', 'fov']) {
    if (args.string(option) !== undefined) usage(`--${option} goes with --pgc, --name or --at, not with an image`);
  }
  if (args.strings('catalog').length) usage('--catalog goes with --pgc or --name, not with an image');

  const pa = args.number('pa');
  const json = args.flag('json');
  const maxPixels = args.number('max-pixels', { integer: true, min: 1 });
  const [{ incline, closeIncline }, { readModelManifest }] = await Promise.all([
    import('../../incline/incline.js'),
    import('../../incline/manifest.js'),
  ]);
  const manifest = readModelManifest();
  if (manifest.models.some((m) => m.trained === false)) {
    stderr.write('asterism: warning: the installed inclination models are untrained placeholders; the numbers mean nothing yet\n');
  }
  const bar = createProgressBar('incline', { stream: stderr });
  let result: InclineResult;
  try {
    bar.update(NaN, `estimating the inclination of ${path}`);
    result = await incline(path, { pa, maxPixels, signal });
  } finally {
    bar.done();
    await closeIncline();
  }
  stdout.write(json ? `${JSON.stringify(result)}\n` : summary(`${path}${pa === undefined ? '' : ` (PA ${pa}°)`}`, result));
  return EXIT.ok;
}

/** `asterism incline [<image>]`. */
export const inclineCommand: Command = {
  name: 'incline',
  summary: 'estimate a galaxy\'s inclination from its image, or by PGC number, name or position (IncliNET\'s model ensemble)',
  description:
    'Estimates the inclination of the galaxy at the centre of an image (FITS, JPEG, PNG, TIFF, WebP or GIF) with ' +
    'IncliNET\'s 12 regression models, in degrees from 45 (moderately inclined) to 90 (edge-on), and the likelihood ' +
    '(percent) that 3 classifiers give the image of being unusable. The image is padded to a square and shrunk to ' +
    '128 × 128; with --pa it is first turned so the major axis lies horizontally. Any readable image gets an ' +
    'answer: judge it by the rejection likelihood. ' +
    'Instead of an image, --pgc, --name or --at fetch one from an image source (default: SDSS DR16\'s cutout ' +
    'service, or the ASTERISM_IMAGE_SOURCE environment variable), framed as IncliNET frames it: 1.5 × D25 around ' +
    'the catalogue position, turned by the catalogue\'s PA. A galaxy that is not in the catalogue exits with status 1.',
  positionals: [{ name: 'image', description: 'an image centred on the galaxy (or use --pgc, --name or --at)', optional: true }],
  options: {
    pa: { type: 'string', value: 'deg', description: 'position angle of the major axis, degrees north through east (north up, east left); write --pa=-30 for negative angles (default: the major axis is already horizontal; with --at, 0)' },
    json: { type: 'boolean', description: 'print IncliNET\'s JSON: {"inclinations": {"Group_0": {...}, ..., "summary": {...}}, "rejection_likelihood": {...}}; with --pgc, --name or --at its web answer, {"status": "success", "galaxy": {...}, ...}' },
    'max-pixels': { type: 'string', value: 'n', description: 'refuse images with more pixels than this (default 250000000)' },
    pgc: { type: 'string', value: 'n', description: 'the galaxy with this PGC number in the catalogue' },
    name: { type: 'string', value: 'name', description: 'the galaxy with this name in the catalogue: \'NGC 7331\', \'M31\', \'Sombrero\'' },
    at: { type: 'string', value: 'ra,dec', description: 'the galaxy at this position, degrees; needs --fov' },
    fov: { type: 'string', value: 'arcmin', description: 'field of view with --at, arcminutes (IncliNET: 1.5 × D25)' },
    'image-source': { type: 'string', value: 'url|dir', description: '\'sdss\', a URL template with {ra} {dec} and {scale} {width} {height} or {fovdeg}, or a directory of images with WCS (FITS headers or .wcs files) (default: ASTERISM_IMAGE_SOURCE, else sdss)' },
    catalog: { type: 'string', value: 'file.csv', multiple: true, description: 'a HyperLEDA-style galaxy table (pgc, objname, ra, dec, logd25, pa) whose entries take precedence over the built-in catalogue; repeatable' },
    cutout: { type: 'string', value: 'out.png', description: 'with --pgc, --name or --at: save the 128 × 128 cutout the models saw' },
  },
  examples: [
    'asterism incline ngc4565.jpg --pa 135',
    'asterism incline pgc2557.fits --json > pgc2557.json',
    'asterism incline --pgc 69327 --json',
    'asterism incline --name "NGC 4565" --cutout ngc4565.png',
    'asterism incline --at 339.2673,34.4156 --fov 14 --pa 169 --image-source /data/plates',
  ],
  run,
};
