/**
 * Runs `fn` with the hot paths forced to one implementation (ASTERISM_FORCE_JS is read per
 * call); the setting is restored when `fn` returns, or when its promise settles.
 */
export function withBackend<T>(backend: 'native' | 'js', fn: () => T): T {
  const before = process.env.ASTERISM_FORCE_JS;
  const restore = () => {
    if (before === undefined) delete process.env.ASTERISM_FORCE_JS;
    else process.env.ASTERISM_FORCE_JS = before;
  };
  if (backend === 'js') process.env.ASTERISM_FORCE_JS = '1';
  else delete process.env.ASTERISM_FORCE_JS;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** In CI the addon must build; locally a missing build only skips the native-only checks. */
export const requireNative = process.env.CI === 'true' || process.env.CI === '1';
