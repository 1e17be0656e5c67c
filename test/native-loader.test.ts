import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
// `npm run prebuild` moves the node-gyp output into prebuilds/, so take whichever is there.
const built = [join(root, 'build', 'Release', 'asterism.node'), ...(existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`))
  ? readdirSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`)).map((f) => join(root, 'prebuilds', `${process.platform}-${process.arch}`, f))
  : [])].find((f) => f.endsWith('.node') && existsSync(f)) ?? '';

/** A package tree holding only the loader, with the addon placed where the caller says. */
function packageWith(addonAt: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'asterism-loader-'));
  for (const file of ['package.json', 'binding.gyp', 'lib/native/addon.ts', 'lib/package-root.ts']) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  if (addonAt) {
    mkdirSync(dirname(join(dir, addonAt)), { recursive: true });
    copyFileSync(built, join(dir, addonAt));
  }
  return dir;
}

function backendIn(dir: string, env: NodeJS.ProcessEnv = {}) {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const script = "import { backend } from './lib/native/addon.ts'; console.log(backend()); console.log(backend());";
  const r = spawnSync(tsx, ['--eval', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, ASTERISM_FORCE_JS: '', ...env } });
  return { out: r.stdout.trim().split('\n'), err: r.stderr };
}

describe.skipIf(!built)('native loader', () => {
  it('uses a matching prebuild when there is no local build', () => {
    const dir = packageWith(`prebuilds/${process.platform}-${process.arch}/asterism.glibc.node`);
    const { out, err } = backendIn(dir);
    expect(out).toEqual(['native', 'native']);
    expect(err).not.toMatch(/could not be loaded/);
  });

  it('uses the node-gyp build', () => {
    const { out } = backendIn(packageWith('build/Release/asterism.node'));
    expect(out).toEqual(['native', 'native']);
  });

  it('falls back to TypeScript with one warning when no addon loads, and when forced', () => {
    const missing = backendIn(packageWith(null));
    expect(missing.out).toEqual(['js', 'js']);
    expect(missing.err.match(/could not be loaded/g)?.length).toBe(1);
    const forced = backendIn(packageWith('build/Release/asterism.node'), { ASTERISM_FORCE_JS: '1' });
    expect(forced.out).toEqual(['js', 'js']);
  });

  it('ignores a prebuild for another libc', () => {
    const other = process.report?.getReport && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime ? 'musl' : 'glibc';
    const dir = packageWith(`prebuilds/${process.platform}-${process.arch}/asterism.${other}.node`);
    expect(backendIn(dir).out).toEqual(['js', 'js']);
  });
});

