/**
 * Solver benchmark: accuracy on synthetic sky frames, false positives, and speed against
 * astrometry.net's solve-field on the same frames and the same index files.
 *
 *   npm run bench:solve -- [--quick] [--json] [--frames N] [--time-limit MS] [--reference-only] [--no-reference]
 *
 * 1. Accuracy: N frames (default 200, --quick 30) from the default index's own catalogue
 *    (scripts/synth/sky-frame.ts), random pointings, rotations and parities, widths log-uniform
 *    over [1.4°, 30°], plus a set at 1° (the narrow end). Solved with a scale hint (±20 % in
 *    degwidth) and fully blind, as star lists; a subset as rendered images (detection included).
 *    A solution whose centre is more than one field width from the truth is a false solution.
 * 2. False positives: 1000 random star lists (--quick 100; half with a scale hint, half blind)
 *    and three starless images (gradient, pure noise, checkerboard) must all give solved: false.
 * 3. Speed: frames drawn from Debian's Tycho-2 index files (/usr/share/astrometry), solved by
 *    `solve(…, { index })` with the set loaded once and by solve-field (scripts/bench/solve-field.ts)
 *    given the same star list as an xylist, with and without the scale hint, and a few rendered
 *    images with the hint (each solver running its own star detection); then whether
 *    `timeLimit` is honoured on an unsolvable frame. solve-field's wall times include its process
 *    start and index mapping (what a user of the command pays); asterism's index load is shown
 *    on its own line.
 *
 * `--reference-only` runs solve-field alone on the speed frames (the baseline, when the solver
 * is not built); `--no-reference` skips solve-field. With `--json` the tables go to stderr and
 * one JSON object to stdout.
 */
import { loadIndex, type IndexSet } from '../../lib/skyindex/index-set.js';
import { separationDeg } from '../../lib/sky/vector.js';
import type { SolveInput, SolveOptions, SolveResult } from '../../lib/solve/types.js';
import { DEFAULT_WIDTH_RANGE_DEG, nonSkyImage, randomStarField, renderSkyFrame, renderSkyStars, type SkyStars } from '../synth/sky-frame.js';
import { createRng } from '../synth/random.js';
import { benchFlags, fmt, pct, tablePrinter } from './common.js';
import { DEBIAN_INDEX_DIR, runSolveField } from './solve-field.js';

type SolveFn = (input: SolveInput, options?: SolveOptions) => Promise<SolveResult>;

const argv = process.argv.slice(2);
const quick = benchFlags.has('--quick');
const asJson = benchFlags.has('--json');
const referenceOnly = benchFlags.has('--reference-only');
const withReference = !benchFlags.has('--no-reference');

function numberFlag(name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return value;
}

const FRAMES = numberFlag('--frames', quick ? 30 : 200);
const NARROW_FRAMES = Math.max(5, Math.round(FRAMES / 4));
const IMAGE_FRAMES = quick ? 5 : 20;
const FALSE_POSITIVE_FRAMES = quick ? 100 : 1000;
const SPEED_FRAMES = numberFlag('--speed-frames', quick ? 10 : 30);
/** Rendered images in the speed section (the first speed frames' geometry, drawn as pixels). */
const SPEED_IMAGES = quick ? 3 : 10;
/** Per-solve limit, ms, in the accuracy and speed sections (solve-field gets the same in CPU seconds). */
const TIME_LIMIT_MS = numberFlag('--time-limit', quick ? 20_000 : 60_000);
/** Per-solve limit, ms, for the random star lists: they test whether a wrong match is accepted, not exhaustion. */
const FALSE_POSITIVE_TIME_LIMIT_MS = numberFlag('--fp-time-limit', 2_000);
/** The scale hint: the true width ± this fraction. */
const HINT_FRACTION = 0.2;

const out = asJson ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => process.stdout.write(`${s}\n`);
// A live counter on a terminal; nothing when stderr is a file (a log would fill with counters).
const progress = (s: string) => {
  if (process.stderr.isTTY) process.stderr.write(s === '\n' ? '\n' : `\r${s.padEnd(60)}`);
};

async function importSolve(): Promise<SolveFn> {
  const path = new URL('../../lib/solve/solve.js', import.meta.url).href;
  let mod: { solve?: unknown };
  try {
    mod = (await import(path)) as { solve?: unknown };
  } catch (e) {
    console.error(`cannot import solve() from lib/solve/solve.ts (${(e as Error).message}).\n` +
      'The solver is not there or does not load yet; `npm run bench:solve -- --reference-only` measures solve-field alone.');
    process.exit(1);
  }
  if (typeof mod.solve !== 'function') {
    console.error('lib/solve/solve.ts does not export a solve() function yet.');
    process.exit(1);
  }
  return mod.solve as SolveFn;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}


const table = tablePrinter(out);

/** One solve of a frame with known truth, judged. */
interface Outcome {
  solved: boolean;
  /** Solved with the centre more than one field width from the truth. */
  falseSolution: boolean;
  errorArcsec: number;
  errorPx: number;
  /** Within the issue's bound: 1 arcsec + 0.1 pixel. */
  withinBound: boolean;
  timeMs: number;
  widthDeg: number;
  reason?: string;
}

function judge(frame: SkyStars, solved: boolean, center: { ra: number; dec: number } | undefined, timeMs: number, reason?: string): Outcome {
  const widthDeg = frame.truth.widthDeg;
  if (!solved || !center) return { solved: false, falseSolution: false, errorArcsec: NaN, errorPx: NaN, withinBound: false, timeMs, widthDeg, reason };
  const sepDeg = separationDeg(center, frame.truth.center);
  const withinBound = sepDeg * 3600 <= 1 + 0.1 * frame.truth.pixelScaleArcsec;
  return { solved: true, falseSolution: sepDeg > widthDeg, errorArcsec: sepDeg * 3600, errorPx: (sepDeg * 3600) / frame.truth.pixelScaleArcsec, withinBound, timeMs, widthDeg };
}

function scaleHint(frame: SkyStars): SolveOptions['scale'] {
  return { low: frame.truth.widthDeg * (1 - HINT_FRACTION), high: frame.truth.widthDeg * (1 + HINT_FRACTION), units: 'degwidth' };
}

async function timed(solve: SolveFn, input: SolveInput, options: SolveOptions): Promise<{ result: SolveResult; timeMs: number }> {
  const started = performance.now();
  const result = await solve(input, options);
  return { result, timeMs: performance.now() - started };
}

interface Row {
  set: string;
  mode: string;
  frames: number;
  solved: number;
  falseSolutions: number;
  medianErrorArcsec: number;
  maxErrorArcsec: number;
  medianErrorPx: number;
  maxErrorPx: number;
  /** Solved frames whose centre is within 1″ + 0.1 px. */
  withinBound: number;
  medianTimeMs: number;
}

function summarise(set: string, mode: string, outcomes: Outcome[]): Row {
  const good = outcomes.filter((o) => o.solved && !o.falseSolution);
  return {
    set,
    mode,
    frames: outcomes.length,
    solved: good.length,
    falseSolutions: outcomes.filter((o) => o.falseSolution).length,
    medianErrorArcsec: median(good.map((o) => o.errorArcsec)),
    maxErrorArcsec: good.length ? Math.max(...good.map((o) => o.errorArcsec)) : NaN,
    medianErrorPx: median(good.map((o) => o.errorPx)),
    maxErrorPx: good.length ? Math.max(...good.map((o) => o.errorPx)) : NaN,
    withinBound: good.filter((o) => o.withinBound).length,
    medianTimeMs: median(outcomes.map((o) => o.timeMs)),
  };
}

function printRows(rows: Row[]): void {
  table(['frames', 'mode', 'n', 'solved', 'false', 'centre err median / max (″)', 'centre err median / max (px)', 'solved within 1″ + 0.1 px', 'median time (ms)'],
    rows.map((r) => [r.set, r.mode, r.frames, pct(r.solved, r.frames), r.falseSolutions, `${fmt(r.medianErrorArcsec)} / ${fmt(r.maxErrorArcsec)}`,
      `${fmt(r.medianErrorPx, 2)} / ${fmt(r.maxErrorPx, 2)}`, `${r.withinBound} of ${r.solved}`, fmt(r.medianTimeMs, 0)]));
}

const WIDTH_BANDS: Array<[string, number, number]> = [['1.4°–3°', 1.4, 3], ['3°–8°', 3, 8], ['8°–30°', 8, 30.001]];

async function accuracy(solve: SolveFn): Promise<Row[]> {
  out(`## 1. Accuracy (default index; ${FRAMES} frames 1.4°–30°, ${NARROW_FRAMES} at 1°; limit ${TIME_LIMIT_MS} ms per solve)\n`);
  const wide: Array<{ frame: SkyStars; hinted: Outcome; blind: Outcome }> = [];
  const [lo, hi] = DEFAULT_WIDTH_RANGE_DEG.map(Math.log);
  const jitter = createRng(1000);
  for (let i = 0; i < FRAMES; i++) {
    // Log-uniform widths, stratified so that even --quick covers the whole range evenly.
    const widthDeg = Math.exp(lo + ((i + jitter.next()) / FRAMES) * (hi - lo));
    const frame = await renderSkyStars({ seed: 1000 + i, widthDeg });
    const h = await timed(solve, frame, { scale: scaleHint(frame), timeLimit: TIME_LIMIT_MS });
    const b = await timed(solve, frame, { timeLimit: TIME_LIMIT_MS });
    wide.push({ frame, hinted: judge(frame, h.result.solved, h.result.center, h.timeMs, h.result.reason), blind: judge(frame, b.result.solved, b.result.center, b.timeMs, b.result.reason) });
    progress(`accuracy: ${i + 1}/${FRAMES} frames`);
  }
  const narrow: Array<{ hinted: Outcome; blind: Outcome }> = [];
  for (let i = 0; i < NARROW_FRAMES; i++) {
    const frame = await renderSkyStars({ seed: 5000 + i, widthDeg: 1 });
    const h = await timed(solve, frame, { scale: scaleHint(frame), timeLimit: TIME_LIMIT_MS });
    const b = await timed(solve, frame, { timeLimit: TIME_LIMIT_MS });
    narrow.push({ hinted: judge(frame, h.result.solved, h.result.center, h.timeMs, h.result.reason), blind: judge(frame, b.result.solved, b.result.center, b.timeMs, b.result.reason) });
    progress(`accuracy: ${i + 1}/${NARROW_FRAMES} narrow frames`);
  }
  const images: Outcome[] = [];
  for (let i = 0; i < IMAGE_FRAMES; i++) {
    const frame = await renderSkyFrame({ seed: 3000 + i, widthDeg: Math.exp(lo + ((i + jitter.next()) / IMAGE_FRAMES) * (hi - lo)) });
    const { image, ...list } = frame;
    const h = await timed(solve, image, { scale: scaleHint(list), timeLimit: TIME_LIMIT_MS });
    images.push(judge(list, h.result.solved, h.result.center, h.timeMs));
    progress(`accuracy: ${i + 1}/${IMAGE_FRAMES} images`);
  }
  progress('\n');
  const rows: Row[] = [];
  for (const mode of ['hinted', 'blind'] as const) {
    rows.push(summarise('1.4°–30° star lists', mode, wide.map((w) => w[mode])));
    for (const [name, lo, hi] of WIDTH_BANDS) {
      rows.push(summarise(`  ${name}`, mode, wide.filter((w) => w.frame.truth.widthDeg >= lo && w.frame.truth.widthDeg < hi).map((w) => w[mode])));
    }
    rows.push(summarise('1° star lists', mode, narrow.map((w) => w[mode])));
  }
  rows.push(summarise('1.4°–30° images (detect + solve)', 'hinted', images));
  printRows(rows);
  for (const [name, list] of [['1.4°–30°', wide], ['1°', narrow]] as const) {
    const reasons = new Map<string, number>();
    for (const w of list) for (const o of [w.hinted, w.blind]) if (!o.solved) reasons.set(o.reason ?? '?', (reasons.get(o.reason ?? '?') ?? 0) + 1);
    if (reasons.size) out(`Unsolved ${name} star-list solves by reason: ${[...reasons].map(([r, n]) => `${r} ${n}`).join(', ')}\n`);
  }
  return rows;
}

interface FalsePositives {
  frames: number;
  falsePositives: number;
  totalMs: number;
  medianMs: number;
  images: Array<{ kind: string; solved: boolean; timeMs: number }>;
}

async function falsePositives(solve: SolveFn): Promise<FalsePositives> {
  out(`## 2. False positives (${FALSE_POSITIVE_FRAMES} random star lists, limit ${FALSE_POSITIVE_TIME_LIMIT_MS} ms each; 3 starless images)\n`);
  const rng = createRng(77);
  let count = 0;
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < FALSE_POSITIVE_FRAMES; i++) {
    const n = Math.round(rng.uniform(20, 300));
    const widthDeg = Math.exp(rng.uniform(Math.log(1.4), Math.log(30)));
    const field = randomStarField(n, 1024, 768, 9000 + i);
    const options: SolveOptions = { timeLimit: FALSE_POSITIVE_TIME_LIMIT_MS };
    if (i % 2 === 0) options.scale = { low: widthDeg * 0.8, high: widthDeg * 1.2, units: 'degwidth' };
    const { result, timeMs } = await timed(solve, field, options);
    times.push(timeMs);
    if (result.solved) count++;
    progress(`false positives: ${i + 1}/${FALSE_POSITIVE_FRAMES} (${count} solved)`);
  }
  const totalMs = performance.now() - started;
  progress('\n');
  const images: FalsePositives['images'] = [];
  for (const kind of ['gradient', 'noise', 'checkerboard'] as const) {
    const { result, timeMs } = await timed(solve, nonSkyImage(kind, 1024, 768, 3), { timeLimit: TIME_LIMIT_MS });
    images.push({ kind, solved: result.solved, timeMs });
  }
  table(['input', 'n', 'solved (false positives)', 'total time (s)', 'median per frame (ms)'], [
    ['random star lists', FALSE_POSITIVE_FRAMES, count, fmt(totalMs / 1000), fmt(median(times), 0)],
    ...images.map((im) => [`${im.kind} image`, 1, im.solved ? 1 : 0, fmt(im.timeMs / 1000, 2), fmt(im.timeMs, 0)]),
  ]);
  return { frames: FALSE_POSITIVE_FRAMES, falsePositives: count, totalMs, medianMs: median(times), images };
}

interface SpeedSide {
  solver: string;
  mode: string;
  frames: number;
  solved: number;
  falseSolutions: number;
  medianMs: number;
  medianErrorArcsec: number;
}

interface Speed {
  indexLoadMs: number;
  /** Per frame: width, stars in the list, and each solver's outcome (for --json readers). */
  perFrame: Array<{ widthDeg: number; stars: number; outcomes: Record<string, Outcome> }>;
  sides: SpeedSide[];
  ratios: Array<{ mode: string; ratioOfMedians: number; medianPerFrameRatio: number; bothSolved: number }>;
  timeLimit?: { limitMs: number; wallMs: number; solved: boolean; reason?: string };
}

async function speed(solve: SolveFn | null): Promise<Speed> {
  out(`## 3. Speed vs astrometry.net solve-field (Debian Tycho-2 index files, ${SPEED_FRAMES} star lists 1.4°–30°, limit ${TIME_LIMIT_MS / 1000} s)\n`);
  let set: IndexSet | undefined;
  let indexLoadMs = NaN;
  if (solve) {
    const t = performance.now();
    set = await loadIndex(DEBIAN_INDEX_DIR);
    indexLoadMs = performance.now() - t;
  }
  const frames: SkyStars[] = [];
  for (let i = 0; i < SPEED_FRAMES; i++) frames.push(await renderSkyStars({ seed: 20_000 + i, index: set ?? DEBIAN_INDEX_DIR }));
  const outcomes = new Map<string, Outcome[]>();
  const record = (key: string, o: Outcome) => {
    const list = outcomes.get(key) ?? [];
    list.push(o);
    outcomes.set(key, list);
  };
  for (const [i, frame] of frames.entries()) {
    const hint = scaleHint(frame)!;
    for (const mode of ['hinted', 'blind'] as const) {
      if (solve && set) {
        const { result, timeMs } = await timed(solve, frame, { index: set, timeLimit: TIME_LIMIT_MS, ...(mode === 'hinted' ? { scale: hint } : {}) });
        record(`asterism|${mode}`, judge(frame, result.solved, result.center, timeMs));
      }
      if (withReference || referenceOnly) {
        const r = await runSolveField(frame, { scaleLow: hint.low, scaleHigh: hint.high, scaleUnits: 'degwidth', noHints: mode === 'blind', timeLimitSec: TIME_LIMIT_MS / 1000 });
        record(`solve-field|${mode}`, judge(frame, r.solved, r.solved ? { ra: r.centerRa, dec: r.centerDec } : undefined, r.timeMs));
      }
    }
    progress(`speed: ${i + 1}/${SPEED_FRAMES} frames`);
  }
  // Images: each solver finds the stars itself (asterism's detect(), solve-field's image2xy).
  for (let i = 0; i < SPEED_IMAGES; i++) {
    const { image, ...frame } = await renderSkyFrame({ seed: 20_000 + i, index: set ?? DEBIAN_INDEX_DIR });
    const hint = scaleHint(frame)!;
    if (solve && set) {
      const { result, timeMs } = await timed(solve, image, { index: set, timeLimit: TIME_LIMIT_MS, scale: hint });
      record('asterism|image, hinted', judge(frame, result.solved, result.center, timeMs));
    }
    if (withReference || referenceOnly) {
      const r = await runSolveField(image, { scaleLow: hint.low, scaleHigh: hint.high, scaleUnits: 'degwidth', timeLimitSec: TIME_LIMIT_MS / 1000 });
      record('solve-field|image, hinted', judge(frame, r.solved, r.solved ? { ra: r.centerRa, dec: r.centerDec } : undefined, r.timeMs));
    }
    progress(`speed: ${i + 1}/${SPEED_IMAGES} images`);
  }
  progress('\n');
  const sides: SpeedSide[] = [];
  for (const [key, list] of outcomes) {
    const [solver, mode] = key.split('|');
    const good = list.filter((o) => o.solved && !o.falseSolution);
    sides.push({ solver, mode, frames: list.length, solved: good.length, falseSolutions: list.filter((o) => o.falseSolution).length, medianMs: median(list.map((o) => o.timeMs)), medianErrorArcsec: median(good.map((o) => o.errorArcsec)) });
  }
  if (solve) out(`asterism index load (${DEBIAN_INDEX_DIR}, once): ${fmt(indexLoadMs, 0)} ms\n`);
  table(['solver', 'mode', 'n', 'solved', 'false', 'median wall time (ms)', 'median centre err (″)'],
    sides.map((s) => [s.solver, s.mode, s.frames, pct(s.solved, s.frames), s.falseSolutions, fmt(s.medianMs, 0), fmt(s.medianErrorArcsec)]));
  const ratios: Speed['ratios'] = [];
  for (const mode of ['hinted', 'blind', 'image, hinted']) {
    const ours = outcomes.get(`asterism|${mode}`), theirs = outcomes.get(`solve-field|${mode}`);
    if (!ours || !theirs) continue;
    const perFrame = ours.map((o, i) => (o.solved && theirs[i].solved ? theirs[i].timeMs / o.timeMs : NaN)).filter(Number.isFinite);
    ratios.push({ mode, ratioOfMedians: median(theirs.map((o) => o.timeMs)) / median(ours.map((o) => o.timeMs)), medianPerFrameRatio: median(perFrame), bothSolved: perFrame.length });
  }
  if (ratios.length) {
    table(['mode', 'solve-field / asterism (medians)', 'median per-frame ratio (both solved)', 'frames both solved'],
      ratios.map((r) => [r.mode, `${fmt(r.ratioOfMedians, 2)}×`, `${fmt(r.medianPerFrameRatio, 2)}×`, r.bothSolved]));
  }
  let timeLimit: Speed['timeLimit'];
  if (solve && set) {
    const limitMs = 2000;
    const field = randomStarField(300, 1024, 768, 4242);
    const { result, timeMs } = await timed(solve, field, { index: set, timeLimit: limitMs });
    timeLimit = { limitMs, wallMs: timeMs, solved: result.solved, reason: result.reason };
    table(['time limit check', 'limit (ms)', 'wall (ms)', 'solved', 'reason'], [['300 random stars, blind, Debian index', limitMs, fmt(timeMs, 0), String(result.solved), result.reason ?? '']]);
  }
  const perFrame = frames.map((frame, i) => ({
    widthDeg: frame.truth.widthDeg,
    stars: frame.stars.length,
    outcomes: Object.fromEntries([...outcomes].filter(([, list]) => list[i] !== undefined).map(([key, list]) => [key, list[i]])),
  }));
  return { indexLoadMs, perFrame, sides, ratios, timeLimit };
}

const solve = referenceOnly ? null : await importSolve();
const report: Record<string, unknown> = { quick, frames: FRAMES, timeLimitMs: TIME_LIMIT_MS };
if (solve) {
  report.accuracy = await accuracy(solve);
  report.falsePositives = await falsePositives(solve);
}
report.speed = await speed(solve);
if (asJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
