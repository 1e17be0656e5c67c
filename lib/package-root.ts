/**
 * The directory of asterism's own package.json. The same module runs from lib/ (sources under
 * tsx and in tests) and from dist/lib/ (the installed package), so the root is found by walking
 * up rather than by counting levels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function isOurPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'asterism';
  } catch {
    return false;
  }
}

function findPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (isOurPackage(dir)) return dir;
    if (dirname(dir) === dir) return here;
  }
}

/** Absolute path of the asterism package's root directory. */
export const packageRoot: string = findPackageRoot();

/** asterism's version from its package.json ('unknown' if it cannot be read). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
