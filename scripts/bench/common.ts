/** What every benchmark script starts with: its flags, and the addon it compares against. */
import { nativeAddon, type NativeAddon } from '../../lib/native/addon.js';

/** The command-line flags (`--quick`, `--json`, …) as a set. */
export const benchFlags = new Set(process.argv.slice(2));

/** The native addon, or exit with a hint: a native-vs-TypeScript benchmark needs both. */
export function requireAddon(): NativeAddon {
  const addon = nativeAddon();
  if (!addon) {
    console.error('the native addon is not built: run `npm install` (or `npm run build:native`) first');
    process.exit(1);
  }
  return addon;
}
