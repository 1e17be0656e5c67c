/** The server's bounded work queue (lib/server/work-queue.ts): limits, order, refusal and cancellation. */
import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../lib/server/work-queue.js';

/** A job that finishes when its `finish` is called. */
function gate<T>(value: T) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  return { job: async () => { await done; return value; }, finish };
}

describe('WorkQueue', () => {
  it('runs at most `concurrency` jobs, the rest in order, and refuses beyond `maxWaiting` with E_BUSY', async () => {
    const queue = new WorkQueue('test', 2, 2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map((i) => gate(i));
    const runs = gates.map((g, i) => queue.run(async () => { started.push(i); return g.job(); }));
    await Promise.resolve();
    expect(queue.state()).toEqual({ running: 2, waiting: 2, concurrency: 2, maxWaiting: 2 });
    await expect(queue.run(async () => 'x')).rejects.toMatchObject({ code: 'E_BUSY', message: expect.stringMatching(/2 test jobs running and 2 waiting/) });
    expect(started).toEqual([0, 1]);
    gates[1].finish();
    expect(await runs[1]).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.finish();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(queue.state()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('frees the slot of a job that throws', async () => {
    const queue = new WorkQueue('test', 1, 0);
    await expect(queue.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await queue.run(async () => 'next')).toBe('next');
  });

  it('drops a waiting job whose signal fires, with E_ABORTED, and never starts it', async () => {
    const queue = new WorkQueue('test', 1, 4);
    const first = gate('first');
    const running = queue.run(first.job);
    const controller = new AbortController();
    let ran = false;
    const waiting = queue.run(async () => { ran = true; }, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(queue.state().waiting).toBe(0);
    first.finish();
    await running;
    expect(ran).toBe(false);
    const aborted = new AbortController();
    aborted.abort();
    await expect(queue.run(async () => 1, aborted.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
