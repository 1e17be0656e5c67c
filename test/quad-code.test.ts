import { describe, expect, it } from 'vitest';
import { mirrorCode, quadCode, type QuadSize } from '../lib/solve/quad-code.js';
import { createRng } from '../scripts/synth/random.js';

const rng = createRng(2024);

function randomQuad(n: number): number[] {
  return Array.from({ length: 2 * n }, () => rng.uniform(-100, 100));
}

function transform(xy: number[], { scale, angle, tx, ty, mirror }: { scale: number; angle: number; tx: number; ty: number; mirror?: boolean }): number[] {
  const out: number[] = [];
  const c = Math.cos(angle), s = Math.sin(angle);
  for (let i = 0; i < xy.length; i += 2) {
    const x = mirror ? -xy[i] : xy[i], y = xy[i + 1];
    out.push(tx + scale * (c * x - s * y), ty + scale * (s * x + c * y));
  }
  return out;
}

function permute(xy: number[], order: number[]): number[] {
  return order.flatMap((i) => [xy[2 * i], xy[2 * i + 1]]);
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
}

describe.each([3, 4, 5] as QuadSize[])('quad codes of %i stars', (n) => {
  it('are invariant to translation, rotation and scale', () => {
    for (let t = 0; t < 500; t++) {
      const xy = randomQuad(n);
      const base = quadCode(xy, n)!;
      const moved = quadCode(transform(xy, { scale: rng.uniform(0.01, 100), angle: rng.uniform(0, 2 * Math.PI), tx: rng.uniform(-1e4, 1e4), ty: rng.uniform(-1e4, 1e4) }), n)!;
      for (let k = 0; k < base.code.length; k++) expect(moved.code[k]).toBeCloseTo(base.code[k], 9);
      expect(moved.order).toEqual(base.order);
    }
  });

  it('do not depend on the order the stars are given in', () => {
    for (let t = 0; t < 50; t++) {
      const xy = randomQuad(n);
      const base = quadCode(xy, n)!;
      for (const order of permutations(n)) {
        const other = quadCode(permute(xy, order), n)!;
        for (let k = 0; k < base.code.length; k++) expect(other.code[k]).toBeCloseTo(base.code[k], 12);
        expect(other.order.map((i) => order[i])).toEqual(base.order);
      }
    }
  });

  it('are canonical: inner x sorted, their sum at most (n − 2) / 2, A–B the widest pair', () => {
    for (let t = 0; t < 500; t++) {
      const xy = randomQuad(n);
      const { code, order } = quadCode(xy, n)!;
      let sum = 0;
      for (let k = 0; k < code.length / 2; k++) {
        sum += code[2 * k];
        if (k > 0) expect(code[2 * k]).toBeGreaterThanOrEqual(code[2 * k - 2]);
      }
      expect(sum).toBeLessThanOrEqual((n - 2) / 2 + 1e-12);
      const d = (i: number, j: number) => Math.hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(d(order[0], order[1])).toBeGreaterThanOrEqual(d(i, j) - 1e-9);
    }
  });

  it('place every inner star inside the A–B circle', () => {
    for (let t = 0; t < 500; t++) {
      const { code, inCircle } = quadCode(randomQuad(n), n)!;
      // With A–B the widest pair, inner stars are within |AB| of both ends, so not always inside
      // the circle; inCircle reports it exactly.
      let inside = true;
      for (let k = 0; k < code.length / 2; k++) inside = inside && (code[2 * k] - 0.5) ** 2 + (code[2 * k + 1] - 0.5) ** 2 <= 0.5;
      expect(inCircle).toBe(inside);
    }
  });

  it('of a mirror image equal mirrorCode of the original', () => {
    for (let t = 0; t < 500; t++) {
      const xy = randomQuad(n);
      const base = quadCode(xy, n)!;
      const mirrored = quadCode(transform(xy, { scale: rng.uniform(0.1, 10), angle: rng.uniform(0, 6.3), tx: 5, ty: -3, mirror: true }), n)!;
      const predicted = mirrorCode(base.code);
      for (let k = 0; k < base.code.length; k++) expect(mirrored.code[k]).toBeCloseTo(predicted[k], 9);
    }
  });
});

describe('quad codes: known values and degenerate input', () => {
  it('maps a square to its expected code', () => {
    // A=(0,0), B=(1,1), C=(1,0), D=(0,1): C and D sit at (1,0) and (0,1) in the A–B frame.
    const q = quadCode([0, 0, 1, 1, 1, 0, 0, 1], 4)!;
    expect(Array.from(q.code)).toEqual([0, 1, 1, 0]);
    expect(q.inCircle).toBe(true);
  });

  it('returns null when all stars coincide', () => {
    expect(quadCode([1, 1, 1, 1, 1, 1, 1, 1], 4)).toBeNull();
  });
});
