/** `asterism detect`: find the stars in one image; print a table or JSON, optionally draw them. */
import { writeFile } from 'node:fs/promises';
import type { DetectOptions, DetectResult } from '../../detect/types.js';
import { AsterismError } from '../../errors.js';
import type { Image } from '../../image/image.js';
import type { Command, CommandArgs, CommandContext } from '../main.js';
import { createProgressBar } from '../progress.js';

const DEFAULT_LIMIT = 20;

const CHANNELS = ['', 'grey', 'grey+alpha', 'RGB', 'RGBA'];

/** Compact numbers for a table whose values span 1e-6 (float FITS) to 1e9 (summed 16-bit counts). */
function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e6 || a < 1e-3 ? v.toExponential(3) : v.toPrecision(5).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function starTable(result: DetectResult, limit: number): string {
  const rows = result.stars.slice(0, limit).map((s, i) => [String(i + 1), s.x.toFixed(2), s.y.toFixed(2), formatValue(s.flux), s.snr.toFixed(1)]);
  const header = ['#', 'x', 'y', 'flux', 'snr'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padStart(widths[c])).join('  ');
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

function sampleType(image: Image): string {
  // FITS pixels are always floats once BZERO/BSCALE are applied; BITPIX says what the file stored.
  const bitpix = image.header?.find((card) => card.keyword === 'BITPIX')?.value;
  const float = typeof bitpix === 'number' ? bitpix < 0 : image.pixels instanceof Float32Array || image.pixels instanceof Float64Array;
  return `${image.bitDepth}-bit${float ? ' float' : ''}`;
}

function summary(path: string, image: Image, result: DetectResult, loadMs: number, limit: number): string {
  const lines = [
    `${path}: ${image.width} × ${image.height}, ${image.format.toUpperCase()} ${sampleType(image)} ${CHANNELS[image.channels] ?? `${image.channels} channels`}`,
    `${result.stars.length} star${result.stars.length === 1 ? '' : 's'}` +
      (result.hotPixels ? ` (${result.hotPixels} hot pixel${result.hotPixels === 1 ? '' : 's'} rejected)` : '') +
      `, noise ${formatValue(result.noise)}, background ${formatValue(result.backgroundMedian)}` +
      (result.maskedPixels ? `, ${result.maskedPixels} masked pixels` : ''),
    `${result.backend} backend: detect ${formatMs(result.timeMs)}, decode ${formatMs(loadMs)}`,
  ];
  if (limit > 0 && result.stars.length > 0) {
    lines.push('', starTable(result, limit));
    if (result.stars.length > limit) lines.push(`  … ${result.stars.length - limit} more (--limit N to show more, --json for all)`);
  }
  return `${lines.join('\n')}\n`;
}

function readOptions(args: CommandArgs) {
  const detectOptions: DetectOptions = {
    maxStars: args.number('max-stars', { integer: true, min: 0 }),
    threshold: args.number('threshold', { min: 0, exclusiveMin: true }),
    psfSigma: args.number('psf-sigma', { min: 0, exclusiveMin: true }),
    backgroundBox: args.number('background-box', { integer: true, min: 1 }),
  };
  return {
    detectOptions,
    maxPixels: args.number('max-pixels', { integer: true, min: 1 }),
    limit: args.number('limit', { integer: true, min: 0 }) ?? DEFAULT_LIMIT,
    json: args.flag('json'),
    overlay: args.string('overlay'),
  };
}

async function run(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const [path] = args.positionals;
  // Every option is checked before sharp and the addon load, so typos fail instantly.
  const options = readOptions(args);
  const [{ loadImage }, { detect }, { backend }] = await Promise.all([
    import('../../image/load.js'),
    import('../../detect/detect.js'),
    import('../../native/addon.js'),
  ]);
  // Loading the addon first gets its fallback warning onto stderr before the progress line.
  backend();
  const bar = createProgressBar('detect', { stream: stderr });
  let image: Image, result: DetectResult, loadMs: number;
  try {
    bar.update(NaN, `decoding ${path}`);
    const loadStarted = performance.now();
    image = await loadImage(path, { maxPixels: options.maxPixels, signal });
    loadMs = performance.now() - loadStarted;
    bar.update(NaN, 'finding stars');
    result = await detect(image, { ...options.detectOptions, signal });
    if (options.overlay !== undefined) {
      bar.update(NaN, 'drawing the overlay');
      const { renderStarOverlay } = await import('../../render/overlay.js');
      const png = await renderStarOverlay(image, result.stars, { labels: options.limit });
      try {
        await writeFile(options.overlay, png);
      } catch (e) {
        throw new AsterismError('E_IO', `cannot write the overlay to ${options.overlay}: ${(e as Error).message}`, { cause: e });
      }
    }
  } finally {
    // Erases the progress line before anything reaches a terminal shared with stdout.
    bar.done();
  }
  if (options.json) {
    const imageInfo = { path, width: image.width, height: image.height, format: image.format, bitDepth: image.bitDepth, channels: image.channels };
    stdout.write(`${JSON.stringify({ image: imageInfo, ...result })}\n`);
  } else {
    stdout.write(summary(path, image, result, loadMs, options.limit));
    if (options.overlay !== undefined) stdout.write(`overlay written to ${options.overlay}\n`);
  }
  return 0;
}

/** `asterism detect <image>`. */
export const detectCommand: Command = {
  name: 'detect',
  summary: 'find the stars in an image and list them, brightest first',
  description:
    'Finds the stars in an image (FITS, JPEG, PNG, TIFF, WebP or GIF): flattens the background, measures the noise, ' +
    'runs a matched filter, splits blends and fits centroids. Prints a summary and the brightest stars; ' +
    'coordinates are pixels with the centre of the first stored pixel at (0, 0), y down the stored rows.',
  positionals: [{ name: 'image', description: 'the image file' }],
  options: {
    json: { type: 'boolean', description: 'print one JSON object on stdout instead of the table: the full detection result (every star) plus an "image" entry with path, size and format' },
    overlay: { type: 'string', value: 'file.png', description: 'also write a PNG for viewing: the image stretched so faint stars show, a circle around each star (bigger for brighter), the brightest numbered as in the table; shrunk to at most 2000 px on the long side' },
    'max-stars': { type: 'string', value: 'n', description: 'keep at most n stars, brightest first (default: all)' },
    threshold: { type: 'string', value: 'sigma', description: 'detection threshold in noise sigmas of the filtered image (default 5)' },
    'psf-sigma': { type: 'string', value: 'px', description: 'matched-filter sigma in pixels, about the stars\' FWHM / 2.35 (default 1.0)' },
    'background-box': { type: 'string', value: 'px', description: 'side of the background cells in pixels (default 128); smaller follows gradients, larger spares big nebulae' },
    limit: { type: 'string', value: 'n', description: `rows of the star table in text mode, and stars numbered in the overlay (default ${DEFAULT_LIMIT}; 0 for none)` },
    'max-pixels': { type: 'string', value: 'n', description: 'refuse images with more pixels than this, a guard against decompression bombs (default 250000000)' },
  },
  examples: [
    'asterism detect m42.fits',
    'asterism detect frame.png --psf-sigma 2 --overlay frame-stars.png',
    'asterism detect frame.fits --json --max-stars 500 > stars.json',
  ],
  run,
};
