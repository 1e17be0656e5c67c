/**
 * `asterism serve` as a user runs it: a child process listening on 127.0.0.1 that answers the
 * API and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, buildIfStale, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-serve-'));

beforeAll(() => {
  buildIfStale();
  writeFileSync(join(dir, 'galaxies.csv'), 'pgc,objname,ra,dec,logd25,pa\n999201,Servetest 1,30.5,-10.25,1.30103,45\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('asterism serve', () => {
  it('serves the API on the port it prints, and stops on SIGTERM with status 0', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--no-builtin-catalogs', '--catalog', 'galaxies.csv', '--upload-limit', '0.5'], { cwd: dir });
    let stdout = '', stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const url = await new Promise<string>((done, fail) => {
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          stdout += c;
          const found = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
          if (found) done(found);
        });
        child.on('exit', () => fail(new Error(`serve exited early:\n${stdout}${stderr}`)));
      });
      const health = await (await fetch(`${url}/healthz`)).json();
      expect(health).toMatchObject({ status: 'ok', galaxies: 1 });
      const lookup = await fetch(`${url}/getObj`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"objname": "servetest 1"}' });
      expect(await lookup.json()).toEqual({ dec: -10.25, fov: 3, objname: 'Servetest 1', pa: 45, pgc: 999201, ra: 30.5, status: 'success' });
      const docs = await (await fetch(`${url}/api/docs`)).json();
      expect(/no larger than [^!]+!/.exec(JSON.stringify(docs))?.[0]).toBe('no larger than 512 KB !');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain('finishing the requests in flight');
  }, 60_000);

  it('refuses bad options with a usage error', async () => {
    const run = await runCli(['serve', '--port', 'http'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--port expects a whole number/);
    const help = await runCli(['--help'], dir);
    expect(help.stdout).toMatch(/serve\s+run the HTTP API/);
  });
});
