import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('package entry point', () => {
  it.skipIf(!existsSync(resolve(root, 'dist/lib/index.js')))('exposes the public API from the compiled package by its name', () => {
    // Resolving 'asterism' by name from inside the package uses package.json "exports".
    const script = `import('asterism').then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const names = JSON.parse(out) as string[];
    for (const name of ['AsterismError', 'detect', 'loadImage', 'decodeFits', 'writeFits', 'backend', 'renderStarOverlay', 'solve', 'loadIndex', 'loadDefaultIndex', 'buildIndex', 'fitWcs', 'writeWcsHeaderFile', 'verifyHypothesis', 'loadObjectCatalog']) {
      expect(names).toContain(name);
    }
  });
});
