/**
 * The server's solving threads (lib/server/solve-pool.ts): a job's answer crosses the thread
 * boundary as plain data, and a thread that dies under a job fails that job and is replaced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { writeFits } from '../lib/image/fits-write.js';
import { SolvePool } from '../lib/server/solve-pool.js';
import { randomStarsFits } from './helpers/random-stars.js';

const pool = new SolvePool({ catalog: { openngc: false, stellarium: false }, maxPixels: 10_000_000, preload: false }, 1);
afterAll(() => pool.close());

const noise = () => writeFits(200, 150, Float32Array.from({ length: 200 * 150 }, (_, i) => (i * 7919) % 251));

describe('SolvePool', () => {
  it('answers a solve as plain data, and refuses what is not an image with its code', async () => {
    const result = await pool.run('solve', noise(), {}, 10_000);
    expect(result.solved).toBe(false);
    expect(typeof result.reason).toBe('string');
    await expect(pool.run('solve', new TextEncoder().encode('not an image'), {}, 10_000)).rejects.toMatchObject({ code: 'E_IMAGE_FORMAT' });
  }, 60_000);

  it('fails the job of a thread that dies and serves the next one on a new thread', async () => {
    let searching!: () => void;
    const searchStarted = new Promise<void>((resolve) => { searching = resolve; });
    const running = pool.run('solve', randomStarsFits(), {}, 60_000, undefined, (p) => {
      if ((p.solve?.quadsTried ?? 0) > 0) searching();
    });
    await searchStarted;
    // The one thread, as the pool holds it: terminating it is what a fatal fault looks like from outside.
    const worker = (pool as unknown as { slots: Array<{ worker: Worker }> }).slots[0].worker;
    await worker.terminate();
    await expect(running).rejects.toThrow(/the solving thread stopped/);
    const next = await pool.run('solve', noise(), {}, 10_000);
    expect(next.solved).toBe(false);
    expect((pool as unknown as { slots: Array<{ worker: Worker }> }).slots[0].worker).not.toBe(worker);
  }, 120_000);
});
