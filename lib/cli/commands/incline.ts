/** `asterism incline`: a galaxy's inclination from its image, with IncliNET's model ensemble. */
import type { InclineResult } from '../../incline/types.js';
import type { Command, CommandArgs, CommandContext } from '../main.js';
import { createProgressBar } from '../progress.js';

function summary(path: string, r: InclineResult, pa: number | undefined): string {
  const i = r.inclinations.summary, rej = r.rejection_likelihood.summary;
  const groups = Object.entries(r.inclinations).filter(([name]) => name !== 'summary') as Array<[string, Record<string, number>]>;
  const models = groups.reduce((n, [, g]) => n + Object.keys(g).length, 0);
  const groupLines = groups.map(([name, g]) => `  ${name.padEnd(8)} ${Object.entries(g).map(([m, d]) => `${m} ${d}°`).join(', ')}`);
  const binaries = Object.entries(r.rejection_likelihood)
    .filter(([name]) => name !== 'summary')
    .map(([name, p]) => `${name} ${p as number} %`).join(', ');
  return [
    `${path}${pa === undefined ? '' : ` (PA ${pa}°)`}: inclination ${i.median}° ± ${i.stdev}° (median ± stdev of ${models} models; mean ${i.mean}°)`,
    `rejection likelihood ${rej.median} % (median; mean ${rej.mean} %, stdev ${rej.stdev} %)`,
    '',
    ...groupLines,
    `  rejection ${binaries}`,
    '',
  ].join('\n');
}

async function run(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const [path] = args.positionals;
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
  stdout.write(json ? `${JSON.stringify(result)}\n` : summary(path, result, pa));
  return 0;
}

/** `asterism incline <image>`. */
export const inclineCommand: Command = {
  name: 'incline',
  summary: 'estimate a galaxy\'s inclination from its image (IncliNET\'s model ensemble)',
  description:
    'Estimates the inclination of the galaxy at the centre of an image (FITS, JPEG, PNG, TIFF, WebP or GIF) with ' +
    'IncliNET\'s 12 regression models, in degrees from 45 (moderately inclined) to 90 (edge-on), and the likelihood ' +
    '(percent) that 3 classifiers give the image of being unusable. The image is padded to a square and shrunk to ' +
    '128 × 128; with --pa it is first turned so the major axis lies horizontally. Any readable image gets an ' +
    'answer: judge it by the rejection likelihood.',
  positionals: [{ name: 'image', description: 'an image centred on the galaxy' }],
  options: {
    pa: { type: 'string', value: 'deg', description: 'position angle of the major axis, degrees north through east (north up, east left); write --pa=-30 for negative angles (default: the major axis is already horizontal)' },
    json: { type: 'boolean', description: 'print IncliNET\'s JSON: {"inclinations": {"Group_0": {...}, ..., "summary": {...}}, "rejection_likelihood": {...}}' },
    'max-pixels': { type: 'string', value: 'n', description: 'refuse images with more pixels than this (default 250000000)' },
  },
  examples: [
    'asterism incline ngc4565.jpg --pa 135',
    'asterism incline pgc2557.fits --json > pgc2557.json',
  ],
  run,
};
