#!/usr/bin/env node
// npm install hook: use a matching prebuild when one ships, otherwise build the addon with
// node-gyp. A failed build does not fail the install: the library falls back to its TypeScript
// implementations and says so at run time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function prebuildLoads() {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return false;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.node'))) {
    try {
      require(join(dir, f));
      console.log(`asterism: using prebuild ${f}`);
      return true;
    } catch {
      // try the next one, then build
    }
  }
  return false;
}

if (process.env.ASTERISM_SKIP_NATIVE_BUILD === '1') {
  console.log('asterism: ASTERISM_SKIP_NATIVE_BUILD=1, not building the addon');
} else if (!prebuildLoads()) {
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.warn('asterism: building the native addon failed; the TypeScript implementation will be used (slower).');
  }
}
