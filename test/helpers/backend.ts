/** Runs `fn` with the hot paths forced to one implementation (ASTERISM_FORCE_JS is read per call). */
export async function withBackend<T>(backend: 'native' | 'js', fn: () => Promise<T>): Promise<T> {
  const before = process.env.ASTERISM_FORCE_JS;
  if (backend === 'js') process.env.ASTERISM_FORCE_JS = '1';
  else delete process.env.ASTERISM_FORCE_JS;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.ASTERISM_FORCE_JS;
    else process.env.ASTERISM_FORCE_JS = before;
  }
}

/** In CI the addon must build; locally a missing build only skips the native-only checks. */
export const requireNative = process.env.CI === 'true' || process.env.CI === '1';
