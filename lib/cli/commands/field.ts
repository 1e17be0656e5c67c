/** `asterism field`: solve an image, then estimate the inclination of every catalogued galaxy in it. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsterismError } from '../../errors.js';
import type { FieldGalaxy, FieldProgress, FieldResult } from '../../pipeline/types.js';
import { EXIT, type Command, type CommandArgs, type CommandContext } from '../main.js';
import { createProgressBar, type ProgressBar } from '../progress.js';
import { readSolveHints, solveHintOptions } from './solve.js';

async function write(path: string, bytes: Uint8Array, what: string): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw new AsterismError('E_IO', `cannot write ${what} to ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** A file name for a galaxy's cutout: its PGC number, else its name with anything unsafe replaced. */
function cutoutName(g: FieldGalaxy): string {
  return g.pgc !== null ? `pgc${g.pgc}.png` : `${g.name.replace(/[^A-Za-z0-9+\-_.]+/g, '_')}.png`;
}

/** The bar's fraction and text for a progress report: the galaxy stages have counts, the others do not. */
function showProgress(bar: ProgressBar, p: FieldProgress): void {
  if (p.stage === 'solve') {
    const s = p.solve;
    bar.update(NaN, s ? `solving: ${s.stage}, ${s.starsUsed} stars, ${s.quadsTried} quads` : 'solving');
  } else if ((p.stage === 'cutouts' || p.stage === 'inference') && p.total > 0) {
    bar.update(p.done / p.total, `${p.stage === 'cutouts' ? 'cutting out' : 'estimating inclinations of'} ${p.total} galaxies`);
  } else {
    bar.update(NaN, p.stage === 'catalog' ? 'finding the catalogued galaxies' : p.stage === 'overlay' ? 'drawing the overlay' : p.stage);
  }
}

function table(r: FieldResult): string {
  const head = ['name', 'PGC', 'RA', 'Dec', 'x', 'y', 'D25 px', 'PA', 'incl.', '±', 'reject %'];
  const rows = r.galaxies.map((g) => [
    g.name, g.pgc === null ? '-' : String(g.pgc), g.ra.toFixed(5), g.dec.toFixed(5), g.x.toFixed(1), g.y.toFixed(1), g.d25Pixels.toFixed(1),
    `${g.pa.toFixed(1)}${g.paSource === 'measured' ? '*' : ''}`, `${g.inclinations.summary.median}°`, `${g.inclinations.summary.stdev}°`,
    String(g.rejection_likelihood.summary.median),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  // Text columns left, numbers right.
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function summary(path: string, r: FieldResult, minD25Pixels: number): string {
  const s = r.solution;
  const t = `${(r.timings.total / 1000).toFixed(2)} s`;
  if (!r.solved) return `${path}: not solved (${r.reason}), so no galaxies; ${t}\n`;
  const lines = [
    `${path}: solved, centre RA ${s.center!.ra.toFixed(5)}° Dec ${s.center!.dec.toFixed(5)}°, ${s.pixelScale!.toFixed(3)} arcsec/pixel, ` +
      `field ${(s.fieldWidth! * 60).toFixed(1)}′ × ${(s.fieldHeight! * 60).toFixed(1)}′; ${t}`,
  ];
  if (r.galaxies.length === 0) lines.push(`no catalogued galaxy with a D25 of ${minD25Pixels} pixels or more in the field`);
  else {
    lines.push(`${r.galaxies.length} galax${r.galaxies.length === 1 ? 'y' : 'ies'} (inclination: median ± stdev of the models; PA* measured on the image)`, '', table(r));
  }
  return `${lines.join('\n')}\n`;
}

/** What `--json` prints: the result without the PNG bytes (written to files instead). */
function jsonOf(r: FieldResult): Record<string, unknown> {
  const { overlayPng: _overlay, galaxies, ...rest } = r;
  return { ...rest, galaxies: galaxies.map(({ cutoutPng: _cutout, ...g }) => g) };
}

async function run(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const [path] = args.positionals;
  const hints = readSolveHints(args);
  const json = args.flag('json');
  const overlay = args.string('overlay');
  const cutoutsDir = args.string('cutouts');
  const catalogs = args.strings('catalog');
  const [{ evaluateField }, { closeIncline }, { DEFAULT_MIN_D25_PIXELS }] = await Promise.all([
    import('../../pipeline/evaluate-field.js'), import('../../incline/incline.js'), import('../../catalog/galaxies.js'),
  ]);
  const minD25Pixels = args.number('min-d25-pixels', { min: 0, exclusiveMin: true }) ?? DEFAULT_MIN_D25_PIXELS;
  const bar = createProgressBar('field', { stream: stderr });
  let result: FieldResult;
  try {
    bar.update(NaN, `decoding ${path}`);
    result = await evaluateField(path, {
      ...hints,
      ...(catalogs.length ? { catalogs } : {}),
      minD25Pixels,
      overlay: overlay !== undefined,
      cutouts: cutoutsDir !== undefined,
      signal,
      onProgress: (p) => showProgress(bar, p),
    });
    if (overlay !== undefined && result.overlayPng) await write(overlay, result.overlayPng, 'the overlay');
    if (cutoutsDir !== undefined && result.solved) {
      try {
        await mkdir(cutoutsDir, { recursive: true });
      } catch (e) {
        throw new AsterismError('E_IO', `cannot create the cutout directory ${cutoutsDir}: ${(e as Error).message}`, { cause: e });
      }
      for (const g of result.galaxies) await write(join(cutoutsDir, cutoutName(g)), g.cutoutPng!, `the cutout of ${g.name}`);
    }
  } finally {
    bar.done();
    await closeIncline();
  }
  if (json) stdout.write(`${JSON.stringify(jsonOf(result))}\n`);
  else {
    stdout.write(summary(path, result, minD25Pixels));
    if (result.overlayPng) stdout.write(`overlay written to ${overlay}\n`);
    if (result.solved && cutoutsDir !== undefined) stdout.write(`${result.galaxies.length} cutouts written to ${cutoutsDir}\n`);
  }
  return result.solved ? EXIT.ok : EXIT.noResult;
}

/** `asterism field <image>`. */
export const fieldCommand: Command = {
  name: 'field',
  summary: 'solve an image, then estimate the inclination of every catalogued galaxy in it',
  description:
    'Solves the image as `asterism solve` does (the same hints), finds the catalogued galaxies whose centre is in it ' +
    'and whose D25 spans at least --min-d25-pixels, cuts each out as IncliNET frames its galaxies (1.5 × D25, major ' +
    'axis horizontal, 128 × 128) and estimates its inclination with the model ensemble of `asterism incline`. ' +
    'Galaxies come from OpenNGC, Stellarium\'s catalogue when installed, and the --catalog files, which take ' +
    'precedence. A galaxy without a catalogued position angle gets one measured on the image (marked * in the table). ' +
    'Exit status 0 when solved (even with no galaxy in the field), 1 when not.',
  positionals: [{ name: 'image', description: 'FITS, JPEG, PNG, TIFF, WebP or GIF file' }],
  options: {
    ...solveHintOptions,
    catalog: { type: 'string', value: 'file.csv', multiple: true, description: 'a HyperLEDA-style CSV catalogue (pgc, objname, ra or al2000, dec or de2000, logd25, pa); repeat for more' },
    'min-d25-pixels': { type: 'string', value: 'n', description: 'leave out galaxies whose D25 spans fewer pixels (default 24)' },
    json: { type: 'boolean', description: 'print one JSON object: solved, solution, galaxies (pgc, names, ra, dec, x, y, d25Pixels, pa, inclinations, rejection_likelihood, …), timings' },
    overlay: { type: 'string', value: 'out.png', description: 'write a PNG of the field with each galaxy\'s D25 ellipse, name and inclination' },
    cutouts: { type: 'string', value: 'dir', description: 'write each galaxy\'s 128 × 128 cutout to this directory as pgc<n>.png (or its name)' },
  },
  examples: [
    'asterism field virgo.fits',
    'asterism field frame.jpg --scale-low 1 --scale-high 3 --overlay galaxies.png --cutouts cutouts/',
    'asterism field frame.fits --catalog my-galaxies.csv --json > galaxies.json',
  ],
  run,
};
