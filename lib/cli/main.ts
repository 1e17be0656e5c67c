/**
 * The `asterism` command line: argument parsing and printing only; the work is the library's.
 * Exit codes: 0 done, 1 nothing found where something was asked for (later: not solved),
 * 2 bad input or usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detect } from '../detect/detect.js';
import { isAsterismError } from '../errors.js';

const USAGE = `usage: asterism <command> [options]

commands:
  detect <image>   find the stars in an image (FITS, JPEG, PNG, TIFF, WebP, GIF)

options:
  --help           show help for a command
  --version        print the version`;

const DETECT_USAGE = `usage: asterism detect <image> [options]

Finds the stars in an image and prints them brightest first.

options:
  --json               print one JSON object (the DetectResult plus the image path) on stdout
  --max-stars N        keep at most N stars
  --threshold S        detection threshold in smoothed-noise sigmas (default 5)
  --psf-sigma PX       matched-filter sigma in pixels (default 1.0)
  --background-box PX  background cell size in pixels (default 128)
  --limit N            rows to print in text mode (default 20)
  --max-pixels N       refuse larger images (default 250000000)
  --help               this text`;

function version(): string {
  // lib/cli in the sources, dist/lib/cli when compiled: try both depths.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'asterism') return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got '${value}'`);
  return n;
}

class UsageError extends Error {}

async function detectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      'max-stars': { type: 'string' },
      threshold: { type: 'string' },
      'psf-sigma': { type: 'string' },
      'background-box': { type: 'string' },
      limit: { type: 'string' },
      'max-pixels': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(DETECT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('detect needs exactly one image');
  const path = positionals[0];
  const result = await detect(path, {
    maxStars: number(values['max-stars'], 'max-stars'),
    threshold: number(values.threshold, 'threshold'),
    psfSigma: number(values['psf-sigma'], 'psf-sigma'),
    backgroundBox: number(values['background-box'], 'background-box'),
    maxPixels: number(values['max-pixels'], 'max-pixels'),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ image: { path }, ...result })}\n`);
    return 0;
  }
  const limit = number(values.limit, 'limit') ?? 20;
  console.log(`${path}: ${result.width} × ${result.height}, ${result.stars.length} stars, noise ${result.noise.toPrecision(4)}, ${result.timeMs.toFixed(0)} ms (${result.backend})`);
  console.log('       x        y          flux      snr');
  for (const s of result.stars.slice(0, limit)) {
    console.log(`${s.x.toFixed(2).padStart(8)} ${s.y.toFixed(2).padStart(8)} ${s.flux.toPrecision(6).padStart(13)} ${s.snr.toFixed(1).padStart(8)}`);
  }
  return 0;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { detect: detectCommand };

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    console.log(version());
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`asterism: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`asterism: ${(e as Error).message}`);
      return 2;
    }
    if (isAsterismError(e)) {
      console.error(`asterism: ${e.message} (${e.code})`);
      return 2;
    }
    throw e;
  }
}
