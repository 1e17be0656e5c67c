/**
 * The server's solving threads (lib/server/solve-pool.ts): a job's answer crosses the thread
 * boundary as plain data, and a thread that dies under a job fails that job and is replaced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { writeFits } from '../lib/image/fits-write.js';
import { SolvePool } from '../lib/server/solve-pool.js';

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
    // Stars at random places: no index holds their pattern, so the search runs to its time limit.
    const width = 800, height = 600;
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    // Sky with noise: detection measures the noise, and a flat sky has none.
    const pixels = Float32Array.from({ length: width * height }, () => 100 + 10 * (random() - 0.5));
    for (let k = 0; k < 150; k++) {
      const cx = 10 + random() * (width - 20), cy = 10 + random() * (height - 20), flux = 500 + random() * 20000;
      for (let y = Math.floor(cy) - 5; y <= Math.floor(cy) + 5; y++) {
        for (let x = Math.floor(cx) - 5; x <= Math.floor(cx) + 5; x++) pixels[y * width + x] += (flux / (2 * Math.PI * 2.25)) * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 4.5);
      }
    }
    let searching!: () => void;
    const searchStarted = new Promise<void>((resolve) => { searching = resolve; });
    const running = pool.run('solve', writeFits(width, height, pixels), {}, 60_000, undefined, (p) => {
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
