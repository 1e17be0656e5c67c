/**
 * Right ascension and declination as people read them: 00h42m44.33s, +41°16′08.6″. Used by
 * the CLI's summaries (solve, lookup); the overlay's grid labels have their own, coarser form.
 */

/**
 * (whole, minutes, seconds) of `value`, with the last printed digit rounded before splitting,
 * so 59.996 s becomes the next minute rather than "60.00".
 */
function split(value: number, decimals: number): [number, number, number] {
  const scale = 10 ** decimals;
  const total = Math.round(value * 3600 * scale);
  const whole = Math.floor(total / (3600 * scale));
  const minutes = Math.floor((total - whole * 3600 * scale) / (60 * scale));
  const seconds = (total - whole * 3600 * scale - minutes * 60 * scale) / scale;
  return [whole, minutes, seconds];
}

/** Right ascension in degrees as hours, minutes and seconds to 0.01 s: `00h42m44.33s`. */
export function formatRaHms(ra: number): string {
  const [h, m, s] = split((((ra % 360) + 360) % 360) / 15, 2);
  return `${String(h % 24).padStart(2, '0')}h${String(m).padStart(2, '0')}m${s.toFixed(2).padStart(5, '0')}s`;
}

/** Declination in degrees as signed degrees, arcminutes and arcseconds to 0.1″: `+41°16′08.6″`. */
export function formatDecDms(dec: number): string {
  const [d, m, s] = split(Math.abs(dec), 1);
  return `${dec < 0 ? '-' : '+'}${String(d).padStart(2, '0')}°${String(m).padStart(2, '0')}′${s.toFixed(1).padStart(4, '0')}″`;
}
