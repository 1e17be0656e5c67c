import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

// The training images come from a numpy generator (scripts/train/galaxies.py); its own checks
// (determinism, the disk's projected axial ratio against sqrt(cos² i + q0² sin² i), horizontal
// major axis, reject labels, styles) are plain Python asserts, run here so CI runs them too.
// .ci/run installs python3-numpy.
describe('synthetic galaxy generator', () => {
  it('passes its physics and determinism checks', () => {
    const run = spawnSync('/usr/bin/python3', ['scripts/train/test_galaxies.py'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    if (run.status !== 0) console.error(run.stdout, run.stderr);
    expect(run.status).toBe(0);
  }, 250_000);
});
