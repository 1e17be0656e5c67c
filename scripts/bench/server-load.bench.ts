/**
 * The server under load (issue 7): 50 connections upload galaxy images to /api/file for 30 s,
 * then the same again while 10 more connections send bad uploads (text named .jpg, a PNG named
 * .txt, a file over the 1 MB limit) at 25 a second in all — a mix, not a flood: a flood of
 * megabyte uploads takes the CPU from inference on any server, and is the job of a rate limiter. Prints throughput, p50/p99 latency and errors for each run,
 * and checks every answer's body: good uploads must all succeed, bad ones must all get the note.
 *
 * The server runs as a child process (`asterism serve` from the sources, through tsx), so
 * autocannon's work here does not share its event loop.
 *
 *   npm run bench:server             # 30 s per run
 *   npm run bench:server -- --quick  # 10 s per run
 *   npm run bench:server -- --json   # a JSON line for scripts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { renderGalaxy } from '../synth/galaxy.js';
import { benchFlags, fmt, tablePrinter } from './common.js';

const QUICK = benchFlags.has('--quick');
const SECONDS = QUICK ? 10 : 30;
const GOOD_CONNECTIONS = 50;
const BAD_CONNECTIONS = 10;
/** Bad uploads per second, all connections together. */
const BAD_RATE = 25;
const NOTE = '[Note] Please upload jpg, png, jpeg, and gif files no larger than 1 MB !';
const root = resolve(import.meta.dirname, '..', '..');
const out = benchFlags.has('--json') ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
const table = tablePrinter(out);

/** A multipart/form-data body with one file in the field 'file'. */
function multipart(filename: string, bytes: Uint8Array): { body: Buffer; contentType: string } {
  const boundary = `----asterism${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Starts `asterism serve --port 0` and resolves with its URL once it listens. */
function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const main = resolve(root, 'lib', 'cli', 'main.ts');
  const code = `import(${JSON.stringify(main)}).then((m) => m.main(['serve', '--port', '0'])).then((c) => process.exit(c));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const url = /serving (http:\/\/\S+?)\//.exec(text)?.[1];
      if (url) done({ url, child });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
    child.on('exit', (c) => fail(new Error(`the server exited (${c}) before listening`)));
  });
}

interface Tally { ok: number; wrong: number }

/** One autocannon run sending `payloads` in turn, checking each answer with `expect`. */
function load(url: string, connections: number, payloads: Array<{ body: Buffer; contentType: string }>, expect: (status: number, body: string) => boolean, tally: Tally, overallRate?: number) {
  return autocannon({
    url,
    connections,
    ...(overallRate ? { overallRate } : {}),
    duration: SECONDS,
    requests: payloads.map((p) => ({
      method: 'POST' as const,
      path: '/api/file',
      headers: { 'content-type': p.contentType },
      body: p.body,
      onResponse: (status: number, body: string) => {
        if (expect(status, body)) tally.ok++;
        else tally.wrong++;
      },
    })),
  });
}

const isSuccess = (status: number, body: string) => status === 200 && body.includes('"status":"success"') && body.includes('"inclinations"');
const isNote = (status: number, body: string) => status === 200 && body.includes(NOTE);

function row(name: string, r: autocannon.Result, tally: Tally, connections: number): Array<string | number> {
  return [name, connections, r.requests.total, fmt(r.requests.average, 1), fmt(r.latency.p50, 0), fmt(r.latency.p99, 0), r.errors + r.timeouts, r.non2xx, tally.wrong];
}

const stamp = renderGalaxy({ width: 256, height: 256, pa: 90, scale: 11, axisRatio: 0.35, noise: 3, seed: 21 });
const jpeg = await sharp(stamp.data, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
const png = await sharp(jpeg).png().toBuffer();
const good = [multipart('galaxy.jpg', jpeg), multipart('galaxy.png', png)];
const bad = [
  multipart('notes.jpg', Buffer.from('this is a text file, not an image\n'.repeat(20))),
  multipart('galaxy.txt', png),
  multipart('huge.jpg', Buffer.concat([jpeg, Buffer.alloc(1024 * 1024 + 1)])),
];

out(`# asterism serve under load: ${GOOD_CONNECTIONS} connections uploading ${(jpeg.length / 1024).toFixed(0)} KB JPEGs / ${(png.length / 1024).toFixed(0)} KB PNGs to /api/file, ${SECONDS} s per run`);
const { url, child } = await startServer();
try {
  // Warm up: the first inference loads the 15 models.
  await autocannon({ url, connections: 2, amount: 10, requests: [{ method: 'POST', path: '/api/file', headers: { 'content-type': good[0].contentType }, body: good[0].body }] });
  const alone: Tally = { ok: 0, wrong: 0 };
  const aloneResult = await load(url, GOOD_CONNECTIONS, good, isSuccess, alone);
  const mixedGood: Tally = { ok: 0, wrong: 0 }, mixedBad: Tally = { ok: 0, wrong: 0 };
  const [goodResult, badResult] = await Promise.all([
    load(url, GOOD_CONNECTIONS, good, isSuccess, mixedGood),
    load(url, BAD_CONNECTIONS, bad, isNote, mixedBad, BAD_RATE),
  ]);
  table(['run', 'connections', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'wrong answers'], [
    row('good uploads alone', aloneResult, alone, GOOD_CONNECTIONS),
    row('good uploads, with bad ones', goodResult, mixedGood, GOOD_CONNECTIONS),
    row(`bad uploads at ${BAD_RATE}/s (text as .jpg, PNG as .txt, > 1 MB)`, badResult, mixedBad, BAD_CONNECTIONS),
  ]);
  const failures = [aloneResult, goodResult, badResult].reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0) + alone.wrong + mixedGood.wrong + mixedBad.wrong;
  out(failures === 0 ? 'no errors: every good upload answered with inclinations, every bad one with the note' : `${failures} errors or wrong answers`);
  out(`throughput with bad uploads mixed in: ${fmt((100 * goodResult.requests.average) / aloneResult.requests.average, 0)} % of alone; p50 ${fmt(aloneResult.latency.p50, 0)} → ${fmt(goodResult.latency.p50, 0)} ms`);
  if (benchFlags.has('--json')) {
    const pick = (r: autocannon.Result) => ({ requests: r.requests.total, perSecond: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx });
    console.log(JSON.stringify({ seconds: SECONDS, alone: pick(aloneResult), withBad: pick(goodResult), bad: pick(badResult), wrongAnswers: alone.wrong + mixedGood.wrong + mixedBad.wrong }));
  }
  process.exitCode = failures === 0 ? 0 : 1;
} finally {
  child.kill('SIGTERM');
}
