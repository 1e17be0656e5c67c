/**
 * The galaxy catalogue (lib/catalog/galaxies.ts): name and PGC lookups, cone and image searches,
 * IncliNET's framing, HyperLEDA-style user tables and Stellarium's catalogue.
 *
 * Tests that need determinism use `stellarium: false` (OpenNGC alone, embedded); the Stellarium
 * tests read Debian's stellarium-data file and are skipped when it is not installed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  d25Arcmin, DEBIAN_STELLARIUM_CATALOG, findGalaxy, inclinetFraming, loadGalaxyCatalog, parseHyperledaCsv, readHyperledaCsv,
  readStellariumGalaxies, type Galaxy, type GalaxyCatalog,
} from '../lib/catalog/galaxies.js';
import { nameKey } from '../lib/catalog/galaxy-names.js';
import { AsterismError } from '../lib/errors.js';
import { separationDeg } from '../lib/sky/vector.js';
import { wcsPixelToSky, wcsSkyToPixel, type Wcs } from '../lib/sky/wcs.js';
import { createRng } from '../scripts/synth/random.js';

const HAVE_STELLARIUM = existsSync(DEBIAN_STELLARIUM_CATALOG);
const dir = mkdtempSync(join(tmpdir(), 'asterism-galaxies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let openngc: GalaxyCatalog;
beforeAll(async () => {
  openngc = await loadGalaxyCatalog({ stellarium: false });
});

function file(name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The AsterismError `f` throws (or rejects with), checked for its code. */
async function caught(f: () => unknown, code: string): Promise<AsterismError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(AsterismError);
    expect((e as AsterismError).code).toBe(code);
    return e as AsterismError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** A north-up, east-left TAN WCS with `scale` arcsec/pixel whose tangent point is at pixel `crpix`. */
function tanWcs(crval: [number, number], crpix: [number, number], scaleArcsec: number, rotationDeg = 0): Wcs {
  const s = scaleArcsec / 3600, r = (rotationDeg * Math.PI) / 180;
  return { crval, crpix, cd: [[-s * Math.cos(r), s * Math.sin(r)], [s * Math.sin(r), s * Math.cos(r)]] };
}

describe('loading', () => {
  it('shares the default catalogue and rebuilds others', async () => {
    const a = loadGalaxyCatalog();
    expect(loadGalaxyCatalog()).toBe(a);
    expect(loadGalaxyCatalog({})).toBe(a);
    expect(loadGalaxyCatalog({ userCatalogs: [] })).toBe(a);
    expect(loadGalaxyCatalog({ stellarium: false })).not.toBe(a);
    await a;
  }, 60_000);

  it('holds OpenNGC\'s galaxies, well formed, without its groups', () => {
    expect(openngc.galaxies.length).toBe(10724);
    for (const g of openngc.galaxies) {
      expect(g.source).toBe('openngc');
      expect(g.ra).toBeGreaterThanOrEqual(0);
      expect(g.ra).toBeLessThan(360);
      expect(Math.abs(g.dec)).toBeLessThanOrEqual(90);
      expect(g.names[0]).toBe(g.name);
      expect(new Set(g.names.map(nameKey)).size).toBe(g.names.length);
    }
    expect(openngc.byName('IC 700')).toBeUndefined(); // a galaxy group
    const pgcs = openngc.galaxies.filter((g) => g.pgc !== null).map((g) => g.pgc);
    expect(new Set(pgcs).size).toBe(pgcs.length);
  });

  it('rejects options of the wrong type', async () => {
    await caught(() => loadGalaxyCatalog({ userCatalogs: 'x.csv' as unknown as string[] }), 'E_INVALID_ARGUMENT');
    await caught(() => loadGalaxyCatalog({ stellarium: 3 as unknown as boolean }), 'E_INVALID_ARGUMENT');
  });

  it('builds an empty catalogue when every source is off', async () => {
    const none = await loadGalaxyCatalog({ openngc: false, stellarium: false });
    expect(none.galaxies).toEqual([]);
    await caught(() => findGalaxy(none, 'M 31'), 'E_NOT_FOUND');
  });
});

describe('name lookups', () => {
  const cases: Array<[string, number]> = [
    ['M31', 2557], ['m 31', 2557], ['M 031', 2557], ['Messier 31', 2557], ['NGC 224', 2557], ['NGC0224', 2557], ['ngc224', 2557],
    ['Andromeda', 2557], ['andromeda galaxy', 2557], ['PGC 2557', 2557], ['pgc002557', 2557], ['UGC 454', 2557], ['UGC00454', 2557],
    ['Sombrero', 42407], ['Sombrero Galaxy', 42407], ['M 104', 42407], ['m104', 42407], ['NGC 4594', 42407], ['UGC A 293', 42407], ['UGCA293', 42407],
    ['IC 2', 778], ['IC0002', 778], ['ic 2', 778], ['IC 00002', 778],
    ['M 102', 53933], // OpenNGC gives NGC 5866 the Messier number as an alias
    ['Whirlpool', 47404], ['Bodes Galaxy', 28630], ["Bode's", 28630], ['Guitar', 33991], ['the guitar', 33991],
    ['Antennae', 37967], // two OpenNGC entries share the name: the first (NGC 4038) answers
    ['IC 26', 2010], // an OpenNGC duplicate entry of NGC 135
  ];
  it.each(cases)('%s → PGC %i', (name, pgc) => {
    expect(openngc.byName(name)?.pgc).toBe(pgc);
    expect(findGalaxy(openngc, name).pgc).toBe(pgc);
  });

  it('keys names without case, spaces, punctuation, accents or zero padding', () => {
    for (const [a, b] of [['NGC 0224', 'ngc224'], ['ngc  224', 'NGC 224'], ['Messier 31', 'M 31'], ['LEDA 2557', 'PGC2557'], ["Bode's Galaxy", 'bodes galaxy'],
      ['Bear-Paw Galaxy', 'Bear Paw Galaxy'], ['Barnard’s Galaxy', 'barnards galaxy'], ['Galáxia', 'galaxia'], ['IC 2431 NED02', 'IC2431NED2']]) {
      expect(nameKey(a)).toBe(nameKey(b));
    }
    expect(nameKey('ESO 123-45')).not.toBe(nameKey('ESO 12345'));
    expect(nameKey('NGC 224')).toBe('NGC224');
  });

  it('lists the names in a stable display order', () => {
    expect(openngc.byPgc(2557)!.names).toEqual(['M 31', 'NGC 224', 'Andromeda Galaxy', 'PGC 2557', 'UGC 454']);
    expect(openngc.byPgc(2010)!.names).toEqual(['NGC 135', 'IC 26', 'PGC 2010']);
  });

  it('finds by PGC number in every form', () => {
    for (const q of [2557, '2557', ' PGC 2557 ', 'pgc2557', 'PGC002557', 'LEDA 2557']) expect(findGalaxy(openngc, q).name).toBe('M 31');
    expect(openngc.byPgc(2557)!.name).toBe('M 31');
    expect(openngc.byPgc(999_999_999)).toBeUndefined();
  });

  it('throws E_NOT_FOUND naming the query, and says when the name is not a galaxy', async () => {
    expect(openngc.byName('Nonexistent Galaxy 42')).toBeUndefined();
    expect((await caught(() => findGalaxy(openngc, 'Nonexistent Galaxy 42'), 'E_NOT_FOUND')).message).toMatch(/no galaxy named 'Nonexistent Galaxy 42'/);
    expect((await caught(() => findGalaxy(openngc, 999_999_999), 'E_NOT_FOUND')).message).toMatch(/PGC 999999999/);
    expect((await caught(() => findGalaxy(openngc, 'PGC 999999999'), 'E_NOT_FOUND')).message).toMatch(/PGC 999999999/);
    expect((await caught(() => findGalaxy(openngc, 'M 42'), 'E_NOT_FOUND')).message).toMatch(/M 42 is in OpenNGC as a nebula, not a galaxy/);
    expect((await caught(() => findGalaxy(openngc, 'IC 700'), 'E_NOT_FOUND')).message).toMatch(/galaxy group/);
  });

  it('rejects queries that are neither a name nor a PGC number', async () => {
    for (const q of ['', '   ', -5, 0, 1.5, Number.NaN]) await caught(() => findGalaxy(openngc, q), 'E_INVALID_ARGUMENT');
    await caught(() => findGalaxy(openngc, null as unknown as string), 'E_INVALID_ARGUMENT');
    expect(openngc.byName(42 as unknown as string)).toBeUndefined();
  });
});

describe('cone', () => {
  it('finds M 31, M 32 and M 110 within 1° of Andromeda', () => {
    const names = openngc.cone(10.6848, 41.269, 1).map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['M 31', 'M 32', 'M 110']));
  });

  it('agrees with a brute-force scan', () => {
    const rng = createRng(6);
    for (let k = 0; k < 60; k++) {
      const ra = rng.uniform(0, 360), dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI, r = rng.uniform(0, k % 10 === 0 ? 30 : 3);
      const want = openngc.galaxies.filter((g) => separationDeg(g, { ra, dec }) <= r + 1e-9);
      if (openngc.galaxies.some((g) => Math.abs(separationDeg(g, { ra, dec }) - r) <= 1e-9)) continue;
      expect(openngc.cone(ra, dec, r)).toEqual(want);
    }
  });

  it('rejects bad arguments', async () => {
    await caught(() => openngc.cone(Number.NaN, 0, 1), 'E_INVALID_ARGUMENT');
    await caught(() => openngc.cone(0, 95, 1), 'E_INVALID_ARGUMENT');
    await caught(() => openngc.cone(0, 0, -1), 'E_INVALID_ARGUMENT');
  });
});

describe('inField', () => {
  const m51 = () => findGalaxy(openngc, 'M 51');
  const m51b = () => findGalaxy(openngc, 'NGC 5195');

  it('places the galaxies of a field, largest first, with D25 in pixels', () => {
    const wcs = tanWcs([m51().ra, m51().dec], [599.5, 449.5], 2, 25);
    const found = openngc.inField(wcs, 1200, 900);
    expect(found.map((f) => f.galaxy.name).slice(0, 2)).toEqual(['M 51', 'NGC 5195']);
    for (const f of found) {
      const p = wcsSkyToPixel(wcs, f.galaxy.ra, f.galaxy.dec)!;
      expect(f.x).toBeCloseTo(p.x, 9);
      expect(f.y).toBeCloseTo(p.y, 9);
      // 2″ per pixel at the tangent point; a few arcminutes away the TAN scale differs by < 1e-6.
      expect(f.d25Pixels).toBeCloseTo((f.galaxy.majorArcmin! * 60) / 2, 3);
      expect(f.d25Pixels).toBeGreaterThanOrEqual(24);
    }
    expect(found[0].x).toBeCloseTo(599.5, 9);
    for (let i = 1; i < found.length; i++) expect(found[i].d25Pixels).toBeLessThanOrEqual(found[i - 1].d25Pixels);
  });

  it('leaves out galaxies smaller than minD25Pixels', () => {
    const wcs = tanWcs([m51().ra, m51().dec], [599.5, 449.5], 2);
    const m51Pixels = (m51().majorArcmin! * 60) / 2, m51bPixels = (m51b().majorArcmin! * 60) / 2;
    const threshold = (m51Pixels + m51bPixels) / 2;
    expect(openngc.inField(wcs, 1200, 900, { minD25Pixels: threshold }).map((f) => f.galaxy.name)).toEqual(['M 51']);
    // At 60″ per pixel M 51 (13.7′) spans under 24 pixels: nothing in these 2° passes the default limit.
    expect(openngc.inField(tanWcs([m51().ra, m51().dec], [59.5, 44.5], 60), 120, 90)).toEqual([]);
    expect(openngc.inField(tanWcs([m51().ra, m51().dec], [59.5, 44.5], 60), 120, 90, { minD25Pixels: 0 }).map((f) => f.galaxy.name)).toContain('M 51');
  });

  it('takes the image to span pixel edges -0.5 to width - 0.5', () => {
    const g = m51();
    const names = (crpix: [number, number]) => openngc.inField(tanWcs([g.ra, g.dec], crpix, 2), 1200, 900, { minD25Pixels: 0 }).map((f) => f.galaxy.name);
    // 1e-6 px either side of each edge (the tangent point itself projects to crpix within ~1e-12 px).
    const e = 1e-6;
    expect(names([-0.5 + e, 100])).toContain('M 51');
    expect(names([-0.5 - e, 100])).not.toContain('M 51');
    expect(names([1199.5 - e, 100])).toContain('M 51');
    expect(names([1199.5 + e, 100])).not.toContain('M 51');
    expect(names([100, -0.5 + e])).toContain('M 51');
    expect(names([100, -0.5 - e])).not.toContain('M 51');
    expect(names([100, 899.5 - e])).toContain('M 51');
    expect(names([100, 899.5 + e])).not.toContain('M 51');
  });

  it('finds a galaxy in the corner of a wide field (the search cone covers the corners)', () => {
    const g = m51();
    // 4000 × 3000 at 10″/px (11° × 8°), with M 51 at pixel (0.2, 0.3): 6.9° from the centre.
    const wcs = tanWcs([g.ra, g.dec], [0.2, 0.3], 10, 40);
    const hit = openngc.inField(wcs, 4000, 3000, { minD25Pixels: 0 }).find((f) => f.galaxy === g);
    expect(hit).toBeDefined();
    expect(hit!.x).toBeCloseTo(0.2, 6);
    expect(separationDeg(wcsPixelToSky(wcs, 1999.5, 1499.5), g)).toBeGreaterThan(6);
  });

  it('skips galaxies without a size', () => {
    const unsized = openngc.galaxies.find((g) => g.majorArcmin === null)!;
    expect(unsized).toBeDefined();
    const found = openngc.inField(tanWcs([unsized.ra, unsized.dec], [499.5, 499.5], 1), 1000, 1000, { minD25Pixels: 0 });
    expect(found.some((f) => f.galaxy === unsized)).toBe(false);
  });

  it('rejects a bad image size or limit', async () => {
    const wcs = tanWcs([10, 20], [0, 0], 1);
    await caught(() => openngc.inField(wcs, 0, 100), 'E_INVALID_ARGUMENT');
    await caught(() => openngc.inField(wcs, 100, Number.NaN), 'E_INVALID_ARGUMENT');
    await caught(() => openngc.inField(wcs, 100, 100, { minD25Pixels: -1 }), 'E_INVALID_ARGUMENT');
    await caught(() => openngc.inField({ crval: [10, 20], crpix: [0, 0], cd: [[0, 0], [0, 0]] }, 100, 100), 'E_INVALID_ARGUMENT');
  });
});

describe('IncliNET framing', () => {
  it('is 1.5 × D25 turned by the position angle', () => {
    expect(inclinetFraming(findGalaxy(openngc, 'M 104'))).toEqual({ pgc: 42407, objname: 'M 104', ra: 189.997625, dec: -11.623056, fov: 12.675, pa: 90 });
    const m31 = findGalaxy(openngc, 'M 31');
    expect(d25Arcmin(m31)).toBe(177.83);
    expect(inclinetFraming(m31)).toMatchObject({ pgc: 2557, objname: 'M 31', fov: 266.745, pa: 35 });
  });

  it('uses 0 for a missing position angle and refuses a galaxy without a size', async () => {
    const noPa = openngc.galaxies.find((g) => g.positionAngle === null && g.majorArcmin !== null)!;
    expect(inclinetFraming(noPa).pa).toBe(0);
    const unsized = openngc.galaxies.find((g) => g.majorArcmin === null)!;
    expect(d25Arcmin(unsized)).toBeNull();
    expect((await caught(() => inclinetFraming(unsized), 'E_NOT_FOUND')).message).toContain(unsized.name);
  });
});

describe('HyperLEDA-style tables', () => {
  it('reads al2000 as hours and ra as degrees, with logd25, logr25, pa, bt and type', () => {
    const [hours] = parseHyperledaCsv('pgc,objname,al2000,de2000,logd25,logr25,pa,bt,type\n2557,NGC0224,0.712305,41.26875,3.28,0.49,35,4.36,Sb\n');
    expect(hours).toMatchObject({ pgc: 2557, name: 'NGC0224', names: ['NGC0224', 'PGC 2557'], dec: 41.26875, positionAngle: 35, mag: 4.36, type: 'Sb', source: 'user' });
    expect(hours.ra).toBeCloseTo(0.712305 * 15, 12);
    expect(hours.majorArcmin).toBeCloseTo(0.1 * 10 ** 3.28, 9);
    expect(hours.minorArcmin).toBeCloseTo((0.1 * 10 ** 3.28) / 10 ** 0.49, 9);
    const [degrees] = parseHyperledaCsv('PGC;ObjName;RA;DEC;LOGD25;PA;extra\n2557;NGC0224;10.684575;41.26875;3.28;215;ignored\n');
    expect(degrees.ra).toBe(10.684575);
    expect(degrees.positionAngle).toBe(35); // modulo 180
    expect(degrees.type).toBe('galaxy');
  });

  it('reads HyperLEDA\'s padded | tables, tabs, quotes and sexagesimal positions', () => {
    const pipes = parseHyperledaCsv([
      '# HyperLEDA output',
      '| pgc     | objname  | al2000     | de2000    | logd25 | pa   |',
      '|---------+----------+------------+-----------+--------+------|',
      '|   42407 | NGC4594  | 12.666508  | -11.62305 | 1.94   | 89.5 |',
      '|    2557 | NGC0224  | 00:42:44.3 | +41:16:09 |        |      |',
      '',
    ].join('\n'), 'leda.txt');
    expect(pipes.map((g) => g.pgc)).toEqual([42407, 2557]);
    expect(pipes[0].ra).toBeCloseTo(12.666508 * 15, 9);
    expect(pipes[0].majorArcmin).toBeCloseTo(8.71, 2);
    expect(pipes[1].ra).toBeCloseTo((0 + 42 / 60 + 44.3 / 3600) * 15, 9);
    expect(pipes[1].dec).toBeCloseTo(41 + 16 / 60 + 9 / 3600, 9);
    expect(pipes[1]).toMatchObject({ majorArcmin: null, positionAngle: null });

    const commented = parseHyperledaCsv('#pgc|objname|al2000|de2000\n1|A|1|2\n');
    expect(commented[0]).toMatchObject({ pgc: 1, name: 'A', ra: 15, dec: 2 });

    const tabs = parseHyperledaCsv('objname\tra\tdec\tlogd25\n"NGC 4038, NED01"\t00 42 44.3\t-05 06 07\tnan\n');
    expect(tabs[0]).toMatchObject({ pgc: null, name: 'NGC 4038, NED01', names: ['NGC 4038, NED01'], majorArcmin: null });
    expect(tabs[0].ra).toBeCloseTo((42 / 60 + 44.3 / 3600) * 15, 9); // sexagesimal is hours even in a degree column
    expect(tabs[0].dec).toBeCloseTo(-(5 + 6 / 60 + 7 / 3600), 9);

    const quoted = parseHyperledaCsv('pgc,objname,ra,dec\n5,"say ""hi""",1,2\n');
    expect(quoted[0].name).toBe('say "hi"');
  });

  it.each([
    ['pgc,objname,al2000,de2000\n1,A,1,2\n2,B,abc,2\n', /t\.csv:3: right ascension 'abc' is not in hours/],
    ['pgc,objname,al2000,de2000\n1,A,24.5,2\n', /t\.csv:2: right ascension '24\.5' is not in hours in \[0, 24\]/],
    ['pgc,objname,ra,dec\n1,A,361,2\n', /t\.csv:2: .*in degrees in \[0, 360\]/],
    ['pgc,objname,ra,dec\n1,A,10,95\n', /t\.csv:2: declination '95'/],
    ['pgc,objname,ra,dec\n,,10,5\n', /t\.csv:2: the row has neither a pgc number nor an objname/],
    ['pgc,objname,ra,dec\nx12,A,10,5\n', /t\.csv:2: pgc 'x12' is not a positive whole number/],
    ['pgc,objname,ra,dec\n1,A,10,5,7\n', /t\.csv:2: 5 fields where the header \(line 1\) has 4/],
    ['pgc,objname,ra,dec,logd25\n1,A,10,5,9\n', /t\.csv:2: logd25 9 is too large/],
    ['pgc,objname,ra,dec,pa\n1,A,10,5,north\n', /t\.csv:2: pa 'north' is not a number/],
    ['pgc,objname,ra,dec\n1,"A,10,5\n', /t\.csv:2: a quoted field is not closed/],
    ['pgc,objname,ra,dec\n1,A,,5\n', /t\.csv:2: no right ascension/],
    ['pgc,objname,ra,dec\n1,A,12:61:00,5\n', /t\.csv:2: right ascension/],
    ['pgc,objname,dec\n1,A,5\n', /t\.csv:1: the header needs a right ascension column/],
    ['ra,dec,logd25\n1,5,1\n', /t\.csv:1: the header needs a pgc or an objname column/],
    ['\n\n# nothing\n', /t\.csv has no header row/],
    ['pgc,ra,dec\n1,2,3\0', /t\.csv is not a text table/],
  ])('reports %j as E_CATALOG_FORMAT with the line', async (text, message) => {
    expect((await caught(() => parseHyperledaCsv(text, 't.csv'), 'E_CATALOG_FORMAT')).message).toMatch(message);
  });

  it('reads files, and reports a missing one as E_IO', async () => {
    const path = file('ok.csv', '\uFEFFpgc,objname,ra,dec\r\n1,A,10,5\r\n');
    expect((await readHyperledaCsv(path)).map((g) => g.name)).toEqual(['A']);
    await caught(() => readHyperledaCsv(join(dir, 'missing.csv')), 'E_IO');
  });

  it('takes a row without a PGC number that names a built-in galaxy at its position as that galaxy', async () => {
    const path = file('named.csv', [
      'objname,ra,dec,logd25,pa',
      'NGC0224,10.6848,41.2690,2.2,35', // M 31, no PGC number: must replace it, not sit beside it
      'NGC 224,50,10,1,0', // the same name far away: a different object
    ].join('\n'));
    const catalog = await loadGalaxyCatalog({ userCatalogs: [path], stellarium: false });
    expect(catalog.galaxies.length).toBe(10724 + 1);
    const m31 = catalog.byPgc(2557)!;
    expect(m31).toMatchObject({ source: 'user', pgc: 2557, positionAngle: 35 });
    expect(m31.names).toEqual(expect.arrayContaining(['M 31', 'Andromeda Galaxy']));
    expect(catalog.cone(10.6848, 41.269, 0.01).filter((g) => g.names.some((n) => /^(NGC ?0*224|M 31)$/.test(n)))).toHaveLength(1);
  });

  it('takes precedence over OpenNGC: same PGC replaces, names win, a later file over an earlier one', async () => {
    const first = file('first.csv', [
      'pgc,objname,al2000,de2000,logd25,pa',
      '2557,MyAndromeda,0.712305,41.26875,2,50',
      '42407,MySombrero,12.666508,-11.62305,,',
      '999999991,Whirlpool,1,2,1,10',
      '999999992,Shared,2,3,1,10',
    ].join('\n'));
    const second = file('second.csv', 'pgc,objname,ra,dec,logd25\n999999993,Shared,30,40,1.5\n');
    const catalog = await loadGalaxyCatalog({ userCatalogs: [first, second], stellarium: false });
    expect(catalog.galaxies.length).toBe(10724 + 3);

    const mine = catalog.byPgc(2557)!;
    expect(mine).toMatchObject({ name: 'MyAndromeda', source: 'user', majorArcmin: 10, minorArcmin: null, positionAngle: 50 });
    expect(mine.names[0]).toBe('MyAndromeda');
    expect(mine.names).toEqual(expect.arrayContaining(['PGC 2557', 'M 31', 'NGC 224', 'Andromeda Galaxy', 'UGC 454']));
    expect(catalog.galaxies.indexOf(mine)).toBe(openngc.galaxies.indexOf(openngc.byPgc(2557)!)); // replaced in place
    for (const q of ['M 31', 'Andromeda', 'MyAndromeda', 'pgc 2557']) expect(findGalaxy(catalog, q)).toBe(mine);

    // Values a row leaves empty come from the entry it replaces.
    expect(catalog.byPgc(42407)).toMatchObject({ name: 'MySombrero', majorArcmin: 8.45, minorArcmin: 4.91, positionAngle: 90, source: 'user' });

    expect(findGalaxy(catalog, 'Whirlpool').pgc).toBe(999999991); // user names win over OpenNGC's
    expect(findGalaxy(catalog, 'M 51').pgc).toBe(47404);
    expect(findGalaxy(catalog, 'Shared').pgc).toBe(999999993); // the later file wins

    // The shared default catalogue is untouched.
    expect((await loadGalaxyCatalog()).byPgc(2557)!.source).toBe('openngc');
    expect(openngc.byPgc(2557)!.name).toBe('M 31');
  }, 60_000);

  it('reports missing and malformed user catalogues', async () => {
    await caught(() => loadGalaxyCatalog({ userCatalogs: [join(dir, 'missing.csv')], stellarium: false }), 'E_IO');
    const bad = file('bad.csv', 'pgc,objname,ra,dec\n1,A,10,5\n2,B,10,-91\n');
    expect((await caught(() => loadGalaxyCatalog({ userCatalogs: [bad], stellarium: false }), 'E_CATALOG_FORMAT')).message).toMatch(/bad\.csv:3:/);
  });
});

describe.skipIf(!HAVE_STELLARIUM)('Stellarium catalogue (Debian stellarium-data)', () => {
  let stellarium: Galaxy[];
  beforeAll(async () => {
    stellarium = await readStellariumGalaxies(DEBIAN_STELLARIUM_CATALOG);
  }, 60_000);

  it('reads tens of thousands of PGC galaxies, well formed', () => {
    expect(stellarium.length).toBeGreaterThan(50_000);
    const sized = stellarium.filter((g) => g.majorArcmin !== null);
    expect(sized.length).toBeGreaterThan(15_000);
    for (const g of stellarium) {
      expect(g.pgc).toBeGreaterThan(0);
      expect(g.source).toBe('stellarium');
      expect(g.names).toContain(`PGC ${g.pgc}`);
      expect(g.ra).toBeGreaterThanOrEqual(0);
      expect(g.ra).toBeLessThan(360);
      expect(Math.abs(g.dec)).toBeLessThanOrEqual(90);
      if (g.positionAngle !== null) expect(g.positionAngle).toBeGreaterThanOrEqual(0);
      if (g.positionAngle !== null) expect(g.positionAngle).toBeLessThan(180);
    }
  });

  it.each([
    ['M 31', 2557], ['M 104', 42407], ['M 51', 47404], ['NGC 4565', 42038], ['M 33', 5818], ['M 81', 28630], ['NGC 891', 9031],
  ])('agrees with OpenNGC on %s (PGC %i)', (name, pgc) => {
    const s = stellarium.find((g) => g.pgc === pgc)!;
    const o = openngc.byPgc(pgc)!;
    expect(s.names).toContain(o.names.find((n) => /^NGC /.test(n)) ?? name);
    expect(separationDeg(s, o) * 3600).toBeLessThan(10);
    expect(s.majorArcmin! / o.majorArcmin!).toBeGreaterThan(0.7);
    expect(s.majorArcmin! / o.majorArcmin!).toBeLessThan(1.4);
    expect(s.type).not.toBe('');
  });

  it('reads M 31 in full', () => {
    const m31 = stellarium.find((g) => g.pgc === 2557)!;
    expect(m31).toMatchObject({ name: 'M 31', majorArcmin: 189.1, minorArcmin: 61.7, positionAngle: 45, mag: 4.36, type: 'SA(s)b' });
    expect(m31.names).toEqual(expect.arrayContaining(['M 31', 'NGC 224', 'PGC 2557', 'UGC 454', 'Andromeda Galaxy']));
  });

  it('merges into OpenNGC without changing its values, and adds the rest', async () => {
    const catalog = await loadGalaxyCatalog();
    expect(catalog.galaxies.length).toBeGreaterThan(60_000);
    const m31 = catalog.byPgc(2557)!;
    expect(m31).toMatchObject({ name: 'M 31', source: 'openngc', majorArcmin: 177.83, positionAngle: 35 });
    expect(m31.names).toContain('Andromeda Nebula'); // from Stellarium's names.dat
    expect(findGalaxy(catalog, 'Andromeda')).toBe(m31);
    expect(findGalaxy(catalog, 'Andromeda II')).toMatchObject({ pgc: 4601, source: 'stellarium' });
    expect(findGalaxy(catalog, 'Pinwheel').name).toBe('M 101'); // the best-cited of the three Stellarium gives it to
    // NGC 735 is PGC 7275 in OpenNGC and 7282 in Stellarium: one galaxy, found by both.
    expect(catalog.byPgc(7282)).toBe(catalog.byPgc(7275));
    expect(catalog.galaxies.filter((g) => g.names.some((n) => nameKey(n) === 'NGC735'))).toHaveLength(1);
    // The Stellarium-only galaxies are searchable by position too.
    const dwarf = catalog.byPgc(4601)!;
    expect(catalog.cone(dwarf.ra, dwarf.dec, 0.01)).toContain(dwarf);
  }, 60_000);

  it('builds the same catalogue every time from the cached source', async () => {
    // Each build merges into copies of the parsed sources (Stellarium even has 39 PGC numbers twice).
    const a = await loadGalaxyCatalog({ stellarium: DEBIAN_STELLARIUM_CATALOG });
    const b = await loadGalaxyCatalog({ stellarium: DEBIAN_STELLARIUM_CATALOG });
    expect(b.galaxies.length).toBe(a.galaxies.length);
    expect(b.galaxies.map((g) => g.names.join('|'))).toEqual(a.galaxies.map((g) => g.names.join('|')));
  }, 60_000);

  it('reads an uncompressed copy, and reports damaged ones as E_CATALOG_FORMAT', async () => {
    const raw = gunzipSync(readFileSync(DEBIAN_STELLARIUM_CATALOG));
    const plain = file('plain.dat', raw);
    expect((await readStellariumGalaxies(plain)).length).toBe(stellarium.length);

    expect((await caught(() => readStellariumGalaxies(file('short.dat', raw.subarray(0, 100_000))), 'E_CATALOG_FORMAT')).message).toMatch(/ends inside/);
    const shifted = Buffer.concat([raw.subarray(0, 200), Buffer.alloc(4), raw.subarray(200)]);
    await caught(() => readStellariumGalaxies(file('shifted.dat', shifted)), 'E_CATALOG_FORMAT');
    await caught(() => readStellariumGalaxies(file('text.dat', 'not a catalogue at all, just some text\n')), 'E_CATALOG_FORMAT');
    await caught(() => readStellariumGalaxies(file('broken.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]))), 'E_CATALOG_FORMAT');
    await caught(() => readStellariumGalaxies(join(dir, 'missing.dat')), 'E_IO');
    await caught(() => loadGalaxyCatalog({ stellarium: join(dir, 'missing.dat') }), 'E_IO');
  }, 60_000);
});
