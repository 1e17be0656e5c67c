import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { nativeAddon } from '../lib/native/addon.js';
import { DEFAULT_DISTRACTOR_FRACTION, DEFAULT_LOG_ODDS_BAIL, verifyHypothesis, type VerifyInput, type VerifyResult } from '../lib/solve/verify.js';
import { verifyHypothesisJs } from '../lib/solve/verify.js.js';
import { createRng, type Rng } from '../scripts/synth/random.js';
import { requireNative, withBackend } from './helpers/backend.js';

const addon = nativeAddon();
const LN_1E9 = Math.log(1e9);

describe('native addon', () => {
  it('loads and exports verifyHypothesis (required in CI)', () => {
    if (requireNative) expect(typeof addon?.verifyHypothesis).toBe('function');
  });
});

/** Log-odds agree to 1e-9 relative (absolute near zero): exp/log may round an ulp apart. */
function expectClose(a: number, b: number): void {
  if (a === b) return;
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));
}

function expectSame(a: VerifyResult, b: VerifyResult): void {
  expectClose(a.logOdds, b.logOdds);
  expectClose(a.bestLogOdds, b.bestLogOdds);
  expect([a.bestAt, a.evaluated, a.matched, a.conflicts]).toEqual([b.bestAt, b.evaluated, b.matched, b.conflicts]);
  expect(Array.from(a.fieldMatch)).toEqual(Array.from(b.fieldMatch));
}

interface Scene {
  input: VerifyInput;
  /** For each index star, the field star it was made from, or −1. */
  source: Int32Array;
}

/**
 * A field of n random stars and an index made of a fraction of them perturbed by `noise` pixels
 * plus `extra` index stars of its own, in random order; σ² grows with the distance from a random
 * "quad centre" as a caller would make it.
 */
function scene(random: Rng, options: { n: number; fraction: number; extra: number; noise: number; width?: number; height?: number; sigma2?: number }): Scene {
  const width = options.width ?? 1000;
  const height = options.height ?? 800;
  const { n } = options;
  const fieldXY = new Float64Array(2 * n);
  for (let j = 0; j < n; j++) {
    fieldXY[2 * j] = random.uniform(0, width);
    fieldXY[2 * j + 1] = random.uniform(0, height);
  }
  const points: Array<[number, number, number]> = [];
  for (let j = 0; j < n; j++) {
    if (random.next() < options.fraction) {
      points.push([fieldXY[2 * j] + options.noise * random.normal(), fieldXY[2 * j + 1] + options.noise * random.normal(), j]);
    }
  }
  for (let k = 0; k < options.extra; k++) points.push([random.uniform(0, width), random.uniform(0, height), -1]);
  for (let k = points.length - 1; k > 0; k--) {
    const r = Math.floor(random.next() * (k + 1));
    [points[k], points[r]] = [points[r], points[k]];
  }
  const m = points.length;
  const indexXY = new Float64Array(2 * m);
  const indexSigma2 = new Float64Array(m);
  const source = new Int32Array(m);
  const cx = random.uniform(0, width);
  const cy = random.uniform(0, height);
  const base = options.sigma2 ?? 1;
  for (let i = 0; i < m; i++) {
    const [x, y, j] = points[i];
    indexXY[2 * i] = x;
    indexXY[2 * i + 1] = y;
    indexSigma2[i] = base * (1 + ((x - cx) ** 2 + (y - cy) ** 2) / (width * width));
    source[i] = j;
  }
  return { input: { fieldXY, indexXY, indexSigma2, width, height }, source };
}

function randomSkips(random: Rng, count: number, max: number): Uint32Array {
  const skips = new Uint32Array(max > 0 ? count : 0);
  for (let k = 0; k < skips.length; k++) skips[k] = Math.floor(random.next() * max);
  return skips;
}

/** The model written out naively (every index star tested for every field star) to check the grid search against. */
function bruteForce(input: VerifyInput): VerifyResult {
  const n = input.fieldXY.length / 2;
  const m = input.indexXY.length / 2;
  const d = input.distractorFraction ?? DEFAULT_DISTRACTOR_FRACTION;
  const bail = input.logOddsBail ?? DEFAULT_LOG_ODDS_BAIL;
  const stop = input.logOddsStop ?? Infinity;
  const maxStars = input.maxFieldStars ?? Infinity;
  const skipF = new Set(input.skipField ?? []);
  const skipI = new Set(input.skipIndex ?? []);
  const M = m - skipI.size;
  const A = input.width * input.height;
  const taken = new Set<number>();
  const fieldMatch = new Int32Array(n).fill(-1);
  let logOdds = 0, bestLogOdds = 0, bestAt = 0, evaluated = 0, matched = 0, conflicts = 0;
  for (let j = 0; j < n && evaluated < maxStars; j++) {
    if (skipF.has(j)) continue;
    evaluated++;
    let best = -1, bestScore = Infinity, bestR2 = 0;
    for (let i = 0; i < m; i++) {
      if (skipI.has(i)) continue;
      const dx = input.fieldXY[2 * j] - input.indexXY[2 * i];
      const dy = input.fieldXY[2 * j + 1] - input.indexXY[2 * i + 1];
      const r2 = dx * dx + dy * dy;
      const s2 = input.indexSigma2[i];
      if (r2 / s2 <= 25 && r2 / s2 < bestScore) {
        best = i;
        bestScore = r2 / s2;
        bestR2 = r2;
      }
    }
    let fg = d / A;
    if (best >= 0 && taken.has(best)) conflicts++;
    else if (best >= 0) {
      taken.add(best);
      fieldMatch[j] = best;
      matched++;
      const s2 = input.indexSigma2[best];
      fg = (1 - d) / M * Math.exp(-bestR2 / (2 * s2)) / (2 * Math.PI * s2) + d / A;
    }
    logOdds += Math.log(fg / (1 / A));
    if (logOdds > bestLogOdds) {
      bestLogOdds = logOdds;
      bestAt = evaluated;
    }
    if (logOdds < bail || logOdds > stop) break;
  }
  return { logOdds, bestLogOdds, bestAt, evaluated, matched, conflicts, fieldMatch };
}

/** Random inputs of every kind the agreement tests run: true hypotheses, unrelated sets, skips, limits, odd scales. */
function randomInputs(count: number, seed: number): VerifyInput[] {
  const random = createRng(seed);
  const inputs: VerifyInput[] = [];
  for (let c = 0; c < count; c++) {
    const kind = c % 6;
    const n = Math.floor(random.next() * (kind === 5 ? 40 : 300));
    const related = kind !== 1;
    const width = kind === 4 ? random.uniform(1, 20) : random.uniform(200, 3000);
    const height = kind === 4 ? random.uniform(1, 20) : random.uniform(200, 3000);
    const { input } = scene(random, {
      n,
      fraction: related ? random.uniform(0.2, 0.9) : 0,
      extra: Math.floor(random.next() * (related ? 100 : 300)),
      noise: random.uniform(0, 3),
      width,
      height,
      // kind 3: variances from tiny to larger than the image; kind 5: crowded, many conflicts
      sigma2: kind === 3 ? 10 ** random.uniform(-6, 5) : kind === 5 ? random.uniform(50, 500) : random.uniform(0.3, 6),
    });
    const m = input.indexXY.length / 2;
    if (random.next() < 0.5) input.skipField = randomSkips(random, 1 + Math.floor(random.next() * 5), n);
    if (random.next() < 0.5) input.skipIndex = randomSkips(random, 1 + Math.floor(random.next() * 5), m);
    if (random.next() < 0.3) input.maxFieldStars = Math.floor(random.next() * n);
    if (random.next() < 0.3) input.distractorFraction = random.uniform(0.01, 0.99);
    if (random.next() < 0.3) input.logOddsBail = -random.uniform(1, 100);
    if (random.next() < 0.2) input.logOddsStop = random.uniform(1, 200);
    if (random.next() < 0.2) input.logOddsBail = -Infinity;
    // Some stars outside the image: the grid clamps them to its border cells.
    if (kind === 2) for (let k = 0; k < input.indexXY.length; k += 7) input.indexXY[k] += random.uniform(-2, 2) * width;
    inputs.push(input);
  }
  return inputs;
}

describe('native and TypeScript verification agree', () => {
  it.skipIf(!addon)('on 600 random inputs (log-odds to 1e-9, integers exactly)', () => {
    for (const input of randomInputs(600, 2010)) {
      const native = withBackend('native', () => verifyHypothesis(input));
      const js = verifyHypothesisJs(input);
      expectSame(native, js);
    }
  });
});

describe.each(['native', 'js'] as const)('verifyHypothesis through the %s backend', (backend) => {
  const verify = (input: VerifyInput) => withBackend(backend, () => verifyHypothesis(input));

  it('matches a brute-force reading of the model (the grid search is exact)', () => {
    for (const input of randomInputs(200, 77)) expectSame(verify(input), bruteForce(input));
  });

  it('gives a true hypothesis odds far above ln 1e9', () => {
    const random = createRng(1);
    const { input, source } = scene(random, { n: 200, fraction: 0.6, extra: 40, noise: 0.4 });
    const result = verify(input);
    expect(result.bestLogOdds).toBeGreaterThan(LN_1E9 + 100);
    expect(result.logOdds).toBeGreaterThan(LN_1E9 + 100);
    expect(result.evaluated).toBe(200);
    expect(result.matched).toBeGreaterThan(100);
    // Matches are (almost all) to the index star made from that field star.
    let right = 0;
    for (let j = 0; j < 200; j++) if (result.fieldMatch[j] >= 0 && source[result.fieldMatch[j]] === j) right++;
    expect(right).toBeGreaterThan(0.95 * result.matched);
  });

  it('gives unrelated star sets strongly negative odds', () => {
    for (let seed = 2; seed < 7; seed++) {
      const random = createRng(seed);
      const { input } = scene(random, { n: 150, fraction: 0, extra: 150, noise: 0 });
      const result = verify({ ...input, logOddsBail: -Infinity });
      expect(result.evaluated).toBe(150);
      expect(result.logOdds).toBeLessThan(-100);
      expect(result.bestLogOdds).toBeLessThan(LN_1E9);
    }
  });

  it('scores one field star near one index star as ln((1 − d)·A·exp(−r²/2σ²)/(M·2πσ²) + d)', () => {
    const width = 640, height = 480, A = width * height, s2 = 2, d = DEFAULT_DISTRACTOR_FRACTION;
    const onTop = verify({ fieldXY: new Float64Array([300, 200]), indexXY: new Float64Array([300, 200]), indexSigma2: new Float64Array([s2]), width, height });
    expect(onTop.logOdds).toBeCloseTo(Math.log((1 - d) * A / (2 * Math.PI * s2) + d), 10);
    expect(onTop.matched).toBe(1);
    expect(Array.from(onTop.fieldMatch)).toEqual([0]);

    // Three index stars, one near: M = 3, r² = 0.25.
    const near = verify({
      fieldXY: new Float64Array([300, 200]),
      indexXY: new Float64Array([10, 10, 300.3, 199.6, 600, 400]),
      indexSigma2: new Float64Array([1, s2, 1]),
      width, height, distractorFraction: 0.1,
    });
    expect(near.logOdds).toBeCloseTo(Math.log(0.9 * A * Math.exp(-0.25 / (2 * s2)) / (3 * 2 * Math.PI * s2) + 0.1), 10);
    expect(near.bestLogOdds).toBe(near.logOdds);
    expect(near.bestAt).toBe(1);
  });

  it('scores a field star with no index star within 5σ as a distractor, ln d', () => {
    const result = verify({ fieldXY: new Float64Array([0, 0]), indexXY: new Float64Array([3, 4.000001]), indexSigma2: new Float64Array([1]), width: 100, height: 100 });
    expect(result.matched).toBe(0);
    expect(result.logOdds).toBeCloseTo(Math.log(DEFAULT_DISTRACTOR_FRACTION), 12);
    expect(result.bestLogOdds).toBe(0);
    expect(result.bestAt).toBe(0);
    // Exactly 5σ away still matches.
    const edge = verify({ fieldXY: new Float64Array([0, 0]), indexXY: new Float64Array([3, 4]), indexSigma2: new Float64Array([1]), width: 100, height: 100 });
    expect(edge.matched).toBe(1);
  });

  it('counts a conflict when two field stars are nearest the same index star', () => {
    const result = verify({
      fieldXY: new Float64Array([100, 100, 101, 100, 300, 300]),
      indexXY: new Float64Array([100.2, 100, 300, 300.5]),
      indexSigma2: new Float64Array([1, 1]),
      width: 500, height: 500,
    });
    expect(result.matched).toBe(2);
    expect(result.conflicts).toBe(1);
    expect(Array.from(result.fieldMatch)).toEqual([0, -1, 1]);
    // The conflicting star scores as a distractor.
    const alone = verify({ fieldXY: new Float64Array([100, 100, 300, 300]), indexXY: new Float64Array([100.2, 100, 300, 300.5]), indexSigma2: new Float64Array([1, 1]), width: 500, height: 500 });
    expect(result.logOdds).toBeCloseTo(alone.logOdds + Math.log(DEFAULT_DISTRACTOR_FRACTION), 10);
  });

  it('picks the smallest r²/σ², ties going to the lowest index', () => {
    const base = { fieldXY: new Float64Array([100, 100]), width: 500, height: 500 };
    const tie = verify({ ...base, indexXY: new Float64Array([101, 100, 99, 100, 100, 101]), indexSigma2: new Float64Array([1, 1, 1]) });
    expect(tie.fieldMatch[0]).toBe(0);
    const tieLater = verify({ ...base, indexXY: new Float64Array([103, 100, 101, 100, 99, 100]), indexSigma2: new Float64Array([1, 1, 1]) });
    expect(tieLater.fieldMatch[0]).toBe(1);
    // Farther but far less certain wins: 4/16 < 1/1.
    const wide = verify({ ...base, indexXY: new Float64Array([101, 100, 102, 100]), indexSigma2: new Float64Array([1, 16]) });
    expect(wide.fieldMatch[0]).toBe(1);
  });

  it('leaves out skipped field and index stars', () => {
    const width = 500, height = 500, A = width * height, d = DEFAULT_DISTRACTOR_FRACTION;
    const input: VerifyInput = {
      fieldXY: new Float64Array([100, 100, 200, 200, 300, 300]),
      indexXY: new Float64Array([100, 100, 200, 200, 300, 300]),
      indexSigma2: new Float64Array([1, 1, 1]),
      width, height,
    };
    const all = verify(input);
    expect(all.matched).toBe(3);
    const skipped = verify({ ...input, skipField: new Uint32Array([0, 0]), skipIndex: new Uint32Array([1]) });
    expect(skipped.evaluated).toBe(2);
    // Field 1 sits on the skipped index star 1, so it is a distractor; field 2 matches with M = 2.
    expect(Array.from(skipped.fieldMatch)).toEqual([-1, -1, 2]);
    expect(skipped.matched).toBe(1);
    expect(skipped.logOdds).toBeCloseTo(Math.log(d) + Math.log((1 - d) * A / (2 * 2 * Math.PI) + d), 10);
    // With every index star skipped, every field star is a distractor.
    const none = verify({ ...input, skipIndex: new Uint32Array([0, 1, 2]) });
    expect(none.matched).toBe(0);
    expect(none.logOdds).toBeCloseTo(3 * Math.log(d), 12);
  });

  it('evaluates at most maxFieldStars stars, and nothing for an empty field', () => {
    const { input } = scene(createRng(8), { n: 50, fraction: 0.5, extra: 10, noise: 0.3 });
    const some = verify({ ...input, maxFieldStars: 7, skipField: new Uint32Array([2]) });
    expect(some.evaluated).toBe(7);
    for (let j = 8; j < 50; j++) expect(some.fieldMatch[j]).toBe(-1);
    const zero = verify({ ...input, maxFieldStars: 0 });
    expect([zero.evaluated, zero.logOdds, zero.bestLogOdds, zero.bestAt, zero.matched]).toEqual([0, 0, 0, 0, 0]);
    const empty = verify({ ...input, fieldXY: new Float64Array(0) });
    expect(empty.evaluated).toBe(0);
    expect(empty.fieldMatch.length).toBe(0);
    const noIndex = verify({ ...input, indexXY: new Float64Array(0), indexSigma2: new Float64Array(0), maxFieldStars: 3 });
    expect(noIndex.logOdds).toBeCloseTo(3 * Math.log(DEFAULT_DISTRACTOR_FRACTION), 12);
  });

  it('bails out below logOddsBail (by default ln 1e-100) and stops above logOddsStop', () => {
    const unrelated = scene(createRng(9), { n: 300, fraction: 0, extra: 50, noise: 0 }).input;
    const byDefault = verify(unrelated);
    expect(DEFAULT_LOG_ODDS_BAIL).toBeCloseTo(Math.log(1e-100), 12);
    expect(byDefault.evaluated).toBeLessThan(300);
    expect(byDefault.logOdds).toBeLessThan(DEFAULT_LOG_ODDS_BAIL);
    const bailed = verify({ ...unrelated, logOddsBail: -10 });
    expect(bailed.logOdds).toBeLessThan(-10);
    expect(bailed.evaluated).toBeLessThan(20);
    expect(verify({ ...unrelated, logOddsBail: -Infinity }).evaluated).toBe(300);

    const related = scene(createRng(10), { n: 300, fraction: 0.7, extra: 20, noise: 0.3 }).input;
    const stopped = verify({ ...related, logOddsStop: 50 });
    expect(stopped.logOdds).toBeGreaterThan(50);
    expect(stopped.evaluated).toBeLessThan(30);
    expect(stopped.bestAt).toBe(stopped.evaluated);
    // The log-odds before the last star were not yet above the limit.
    const before = verify({ ...related, maxFieldStars: stopped.evaluated - 1 });
    expect(before.logOdds).toBeLessThanOrEqual(50);
  });

  it('tracks the best running log-odds and where it occurred', () => {
    // Ten stars that match, then twenty that do not.
    const fieldXY = new Float64Array(60);
    const indexXY = new Float64Array(20);
    for (let j = 0; j < 30; j++) {
      fieldXY[2 * j] = 20 + 30 * (j % 10);
      fieldXY[2 * j + 1] = 20 + 30 * Math.floor(j / 10);
    }
    indexXY.set(fieldXY.subarray(0, 20));
    const result = verify({ fieldXY, indexXY, indexSigma2: new Float64Array(10).fill(1), width: 400, height: 400 });
    expect(result.bestAt).toBe(10);
    expect(result.evaluated).toBe(30);
    expect(result.logOdds).toBeCloseTo(result.bestLogOdds + 20 * Math.log(DEFAULT_DISTRACTOR_FRACTION), 9);
  });

  it('rejects bad inputs with E_INVALID_ARGUMENT', () => {
    const good: VerifyInput = {
      fieldXY: new Float64Array([1, 2, 3, 4]),
      indexXY: new Float64Array([1, 2, 9, 9]),
      indexSigma2: new Float64Array([1, 1]),
      width: 10,
      height: 10,
    };
    expect(verify(good).matched).toBe(1);
    const bad: Array<[string, Record<string, unknown>]> = [
      ['odd field length', { fieldXY: new Float64Array(3) }],
      ['odd index length', { indexXY: new Float64Array(3), indexSigma2: new Float64Array(1) }],
      ['variance count', { indexSigma2: new Float64Array(3) }],
      ['NaN field coordinate', { fieldXY: new Float64Array([1, NaN, 3, 4]) }],
      ['infinite index coordinate', { indexXY: new Float64Array([1, 2, Infinity, 9]) }],
      ['zero variance', { indexSigma2: new Float64Array([1, 0]) }],
      ['negative variance', { indexSigma2: new Float64Array([-1, 1]) }],
      ['NaN variance', { indexSigma2: new Float64Array([NaN, 1]) }],
      ['infinite variance', { indexSigma2: new Float64Array([Infinity, 1]) }],
      ['zero width', { width: 0 }],
      ['negative height', { height: -5 }],
      ['NaN width', { width: NaN }],
      ['infinite height', { height: Infinity }],
      ['area overflows', { width: 1e200, height: 1e200 }],
      ['string width', { width: '10' }],
      ['distractor 0', { distractorFraction: 0 }],
      ['distractor 1', { distractorFraction: 1 }],
      ['distractor NaN', { distractorFraction: NaN }],
      ['skipField out of range', { skipField: new Uint32Array([2]) }],
      ['skipIndex out of range', { skipIndex: new Uint32Array([0, 7]) }],
      ['skipField not Uint32Array', { skipField: new Int32Array([0]) }],
      ['skipIndex a plain array', { skipIndex: [0] }],
      ['fieldXY a plain array', { fieldXY: [1, 2] }],
      ['indexXY a Float32Array', { indexXY: new Float32Array(4) }],
      ['maxFieldStars negative', { maxFieldStars: -1 }],
      ['maxFieldStars fractional', { maxFieldStars: 1.5 }],
      ['maxFieldStars NaN', { maxFieldStars: NaN }],
      ['logOddsBail NaN', { logOddsBail: NaN }],
      ['logOddsStop NaN', { logOddsStop: NaN }],
    ];
    for (const [name, change] of bad) {
      let error: unknown;
      try {
        verify({ ...good, ...change } as VerifyInput);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(AsterismError);
      expect((error as AsterismError).code, name).toBe('E_INVALID_ARGUMENT');
    }
    expect(() => verify(null as unknown as VerifyInput)).toThrow(AsterismError);
  });
});

describe.skipIf(!addon)('the addon checks its arguments itself', () => {
  it('refuses wrong types, lengths and summaries without reading out of bounds', () => {
    const f = new Float64Array([1, 2]);
    const s = new Float64Array([1]);
    const e = new Uint32Array(0);
    const call = (...args: unknown[]) => (addon!.verifyHypothesis as (...a: unknown[]) => Int32Array)(...args);
    const cases: unknown[][] = [
      [],
      [f, f, s, e, e, 10, 10, 0.25, Infinity, -230, Infinity],
      [f, f, s, e, e, 10, 10, 0.25, Infinity, -230, Infinity, new Float64Array(5)],
      [f, f, new Float64Array(2), e, e, 10, 10, 0.25, Infinity, -230, Infinity, new Float64Array(6)],
      [f, f, s, new Uint32Array([1]), e, 10, 10, 0.25, Infinity, -230, Infinity, new Float64Array(6)],
      [f, f, s, e, new Uint32Array([0xffffffff]), 10, 10, 0.25, Infinity, -230, Infinity, new Float64Array(6)],
      [f, f, s, e, e, 10, 10, 0.25, -Infinity, -230, Infinity, new Float64Array(6)],
      [f, f, s, e, e, '10', 10, 0.25, Infinity, -230, Infinity, new Float64Array(6)],
      [f.subarray(0, 1), f, s, e, e, 10, 10, 0.25, Infinity, -230, Infinity, new Float64Array(6)],
    ];
    for (const args of cases) {
      let error: unknown;
      try {
        call(...args);
      } catch (err) {
        error = err;
      }
      expect((error as { code?: string })?.code).toBe('E_INVALID_ARGUMENT');
    }
    const summary = new Float64Array(6);
    expect(Array.from(call(f, f, s, e, e, 10, 10, 0.25, Infinity, -230, Infinity, summary))).toEqual([0]);
    expect(Array.from(summary.subarray(3))).toEqual([1, 1, 0]);
  });
});
