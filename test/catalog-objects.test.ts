import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestKnownName, loadObjectCatalog, overlayObjects, type SkyObject } from '../lib/catalog/objects.js';
import { AsterismError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { separationDeg } from '../lib/sky/vector.js';
import { createRng } from '../scripts/synth/random.js';

const KSTARS_OPENNGC = '/usr/share/kstars/OpenNGC.kscat';
const M31 = { ra: 10.6848, dec: 41.269 };

function byName(objects: readonly SkyObject[], name: string): SkyObject {
  const o = objects.find((x) => x.name === name);
  if (!o) throw new Error(`${name} not in the catalogue`);
  return o;
}

describe('object catalogue', () => {
  it('loads once, with every object well formed', async () => {
    const first = loadObjectCatalog();
    expect(loadObjectCatalog()).toBe(first);
    const { objects } = await first;
    expect(objects.length).toBe(13960);
    expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
    for (const o of objects) {
      expect(o.ra).toBeGreaterThanOrEqual(0);
      expect(o.ra).toBeLessThan(360);
      expect(Math.abs(o.dec)).toBeLessThanOrEqual(90);
    }
    const galaxies = objects.filter((o) => o.type === 'galaxy').length;
    expect(galaxies).toBe(10724);
  });

  it('has M 31 where it should be', async () => {
    const m31 = byName((await loadObjectCatalog()).objects, 'M 31');
    expect(m31.id).toBe('NGC0224');
    expect(m31.type).toBe('galaxy');
    expect(m31.ra).toBeCloseTo(10.6848, 3);
    expect(m31.dec).toBeCloseTo(41.269, 3);
    expect(m31.majorArcmin).toBe(177.83);
    expect(m31.minorArcmin).toBe(69.66);
    expect(m31.positionAngle).toBe(35);
    expect(m31.mag).toBe(4.36);
    expect(m31.aliases).toEqual(expect.arrayContaining(['Andromeda Galaxy', 'NGC 224']));
    expect(m31.pgc).toBe(2557);
    expect(bestKnownName(m31)).toBe('M 31');
  });

  it('maps the KStars type codes to names', async () => {
    const { objects } = await loadObjectCatalog();
    expect(byName(objects, 'M 42').type).toBe('nebula');
    expect(byName(objects, 'M 57').type).toBe('planetary nebula');
    expect(byName(objects, 'M 13').type).toBe('globular cluster');
    expect(byName(objects, 'M 45').type).toBe('open cluster');
    expect(byName(objects, 'M 1').type).toBe('supernova remnant');
    expect(byName(objects, 'M 24').type).toBe('asterism');
    expect(byName(objects, 'M 40').type).toBe('multiple star');
    expect(byName(objects, 'IC 700').type).toBe('galaxy group');
    expect(byName(objects, 'NGC 1990').type).toBe('star');
    expect(byName(objects, 'IC 11').type).toBe('unknown'); // OpenNGC 'Dup' of NGC 281
  });

  it('names objects by their best-known name', async () => {
    const { objects } = await loadObjectCatalog();
    expect(bestKnownName(byName(objects, 'NGC 3372'))).toBe('Carina Nebula');
    expect(bestKnownName(byName(objects, 'NGC 5866'))).toBe('M 102');
    expect(bestKnownName(byName(objects, 'NGC 7331'))).toBe('NGC 7331');
    expect(bestKnownName(byName(objects, 'IC 2'))).toBe('IC 2');
  });

  it('finds M 31, M 32 and M 110 within 1° of Andromeda', async () => {
    const names = (await loadObjectCatalog()).cone(M31.ra, M31.dec, 1).map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['M 31', 'M 32', 'M 110']));
  });

  it('agrees with a brute-force scan for random cones', async () => {
    const catalog = await loadObjectCatalog();
    const rng = createRng(20240615);
    const cones: [number, number, number][] = [
      [0, 90, 5], [180, -90, 3], [359.9, 0, 2], [0.05, 10, 1], [M31.ra, M31.dec, 0], [123, 45, 180], [10, 85, 6], [200, -88, 1.5], [0, 0, 90],
    ];
    for (let k = 0; k < 300; k++) {
      cones.push([rng.uniform(0, 360), (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI, rng.uniform(0, k % 10 === 0 ? 60 : 4)]);
    }
    for (const [ra, dec, r] of cones) {
      const got = catalog.cone(ra, dec, r).map((o) => o.id);
      // A 1e-9° margin keeps objects exactly on the rim from depending on rounding.
      const want = catalog.objects.filter((o) => separationDeg(o, { ra, dec }) <= r + 1e-9).map((o) => o.id);
      const borderline = catalog.objects.filter((o) => Math.abs(separationDeg(o, { ra, dec }) - r) <= 1e-9).length;
      if (borderline === 0) expect(got).toEqual(want);
    }
  });

  it('answers a field-sized cone in well under a millisecond', async () => {
    const catalog = await loadObjectCatalog();
    const rng = createRng(7);
    const queries = 2000;
    const t0 = performance.now();
    let found = 0;
    for (let k = 0; k < queries; k++) found += catalog.cone(rng.uniform(0, 360), rng.uniform(-80, 80), 1).length;
    const perQueryMs = (performance.now() - t0) / queries;
    expect(found).toBeGreaterThan(0);
    expect(perQueryMs).toBeLessThan(1);
  });

  it('rejects bad cone arguments', async () => {
    const catalog = await loadObjectCatalog();
    const bad: [number, number, number][] = [[Number.NaN, 0, 1], [0, Infinity, 1], [0, 91, 1], [0, 0, -1]];
    for (const [ra, dec, r] of bad) expect(() => catalog.cone(ra, dec, r)).toThrow(AsterismError);
  });
});

describe('overlayObjects', () => {
  it('puts M 31 first near Andromeda and respects the limit', async () => {
    const all = await overlayObjects(M31, 1.5);
    expect(all[0]).toEqual({ name: 'M 31', ra: expect.closeTo(10.6848, 3), dec: expect.closeTo(41.269, 3), majorArcmin: 177.83 });
    expect(all.map((o) => o.name)).toEqual(expect.arrayContaining(['M 32', 'M 110']));
    expect(all.length).toBeLessThanOrEqual(40);
    const three = await overlayObjects(M31, 1.5, 3);
    expect(three).toEqual(all.slice(0, 3));
    expect(await overlayObjects(M31, 1.5, 0)).toEqual([]);
    await expect(overlayObjects(M31, 1.5, -1)).rejects.toThrow(AsterismError);
  });

  it('caps a crowded field at the limit and skips duplicate entries', async () => {
    // The Virgo cluster around M 87: far more than 40 galaxies within 3°.
    const objects = await overlayObjects({ ra: 187.706, dec: 12.391 }, 3);
    expect(objects.length).toBe(40);
    const { objects: catalog } = await loadObjectCatalog();
    const unknownNames = new Set(catalog.filter((o) => o.type === 'unknown' && o.mag === null && o.majorArcmin === null).map((o) => o.name));
    expect(objects.some((o) => unknownNames.has(o.name))).toBe(false);
  });
});

describe('catalogs/openngc.json.gz', () => {
  it.skipIf(!existsSync(KSTARS_OPENNGC))('is what scripts/data/build-openngc.py makes, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asterism-openngc-'));
    try {
      const out = join(dir, 'openngc.json.gz');
      execFileSync('/usr/bin/python3', [join(packageRoot, 'scripts/data/build-openngc.py'), KSTARS_OPENNGC, out], { stdio: 'pipe' });
      expect(readFileSync(out).equals(readFileSync(join(packageRoot, 'catalogs/openngc.json.gz')))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
