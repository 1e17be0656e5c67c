/**
 * `asterism lookup` as a user runs it (`node bin/asterism.js` in a child process, compiled from
 * lib/ by beforeAll when stale; see ./helpers/cli.ts).
 *
 * Most runs pass --no-stellarium so that they read only the embedded OpenNGC catalogue and give
 * the same answers whether or not Debian's stellarium-data is installed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_STELLARIUM_CATALOG } from '../lib/catalog/stellarium.js';
import { buildIfStale, runCli, type Run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-lookup-'));

function lookup(...args: string[]): Promise<Run> {
  return runCli(['lookup', ...args], dir);
}

beforeAll(() => {
  buildIfStale();
  writeFileSync(join(dir, 'mine.csv'), 'pgc,objname,al2000,de2000,logd25,pa\n2557,MyAndromeda,0.712305,41.26875,2,50\n');
  writeFileSync(join(dir, 'bad.csv'), 'pgc,objname,al2000,de2000\n1,A,25,0\n');
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('asterism lookup', () => {
  it('prints IncliNET\'s record and the catalogue entry', async () => {
    const run = await lookup('M31', '--no-stellarium');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^M 31 \(PGC 2557\)$/m);
    expect(run.stdout).toMatch(/^ {2}type {7}galaxy$/m);
    expect(run.stdout).toContain("pgc 2557, objname 'M 31', ra 10.684792, dec 41.269056, fov 266.745′, pa 35°");
    expect(run.stdout).toMatch(/RA 00h42m44\.35s {2}Dec \+41°16′08\.6″/);
    expect(run.stdout).toContain('177.83′ × 69.66′, position angle 35°');
    expect(run.stdout).toContain('M 31, NGC 224, Andromeda Galaxy, PGC 2557, UGC 454');
    expect(run.stdout).toMatch(/source +OpenNGC/);
  });

  it('prints JSON with the record at the top level', async () => {
    for (const query of [['2557'], ['M', '31'], ['Andromeda'], ['NGC0224']]) {
      const run = await lookup(...query, '--json', '--no-stellarium');
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out).toMatchObject({ pgc: 2557, objname: 'M 31', ra: 10.684792, dec: 41.269056, fov: 266.745, pa: 35 });
      expect(out.galaxy).toMatchObject({ pgc: 2557, name: 'M 31', majorArcmin: 177.83, source: 'openngc' });
      expect(out.galaxy.names).toContain('NGC 224');
    }
  });

  it('takes user catalogues with --catalog', async () => {
    const run = await lookup('M 31', '--catalog', 'mine.csv', '--json', '--no-stellarium');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ pgc: 2557, objname: 'MyAndromeda', fov: 15, pa: 50, galaxy: { source: 'user' } });
  });

  it('exits 1 with a message when nothing matches', async () => {
    const missing = await lookup('Nonexistent', 'Galaxy', '--no-stellarium');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^asterism: no galaxy named 'Nonexistent Galaxy' .*\(E_NOT_FOUND\)$/m);
    const nebula = await lookup('M42', '--no-stellarium');
    expect(nebula.code).toBe(1);
    expect(nebula.stderr).toMatch(/M 42 is in OpenNGC as a nebula, not a galaxy/);
  });

  it('exits 2 for bad usage and unreadable catalogues', async () => {
    const none = await lookup();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing <pgc\|name>/);
    const absent = await lookup('M31', '--catalog', 'absent.csv', '--no-stellarium');
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/absent\.csv.*\(E_IO\)/);
    const bad = await lookup('M31', '--catalog', 'bad.csv', '--no-stellarium');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.csv:2: .*\(E_CATALOG_FORMAT\)/);
  });

  it('lists its options in --help', async () => {
    const run = await lookup('--help');
    expect(run.code).toBe(0);
    for (const option of ['--json', '--catalog', '--no-stellarium']) expect(run.stdout).toContain(option);
  });

  it.skipIf(!existsSync(DEBIAN_STELLARIUM_CATALOG))('finds Stellarium\'s galaxies unless told not to', async () => {
    const found = await lookup('Andromeda', 'II', '--json');
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ pgc: 4601, galaxy: { source: 'stellarium' } });
    const left = await lookup('Andromeda', 'II', '--no-stellarium');
    expect(left.code).toBe(1);
  });
});
