/**
 * A galaxy's position angle measured on its image, for catalogue entries without one: the
 * orientation of the second moments of its light in a north-up, east-left cutout.
 */
import type { RawPixels } from '../image/load.js';

/**
 * The position angle of the light at the centre of a north-up, east-left cutout (as
 * `skyCutout()` makes it without `majorAxisPa`), from the unweighted second moments of the
 * pixels above the cutout's median inside a centred circle of `radius` pixels.
 *
 * Unweighted moments within the D25 circle, rather than adaptive Gaussian weights, because a
 * Gaussian weight shrinks onto the bulge, which is rounder than the disk and can point anywhere;
 * the cutout's asinh stretch already keeps the core from dominating. Noise above the sky adds
 * equally in every direction and dilutes the ellipticity without turning it.
 *
 * @param cutout - 8-bit RGB or grey pixels, galaxy at the centre.
 * @param radius - aperture radius, pixels (for IncliNET's framing of 1.5 × D25: size / 3).
 * @returns the position angle of the major axis, degrees east of north in [0, 180), or null
 *   when there is no light above the median.
 */
export function measurePa(cutout: RawPixels, radius: number): number | null {
  const { data, width, height, channels } = cutout;
  const colours = Math.min(3, channels === 2 || channels === 4 ? channels - 1 : channels);
  const grey = new Float64Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    let sum = 0;
    for (let c = 0; c < colours; c++) sum += data[i * channels + c];
    grey[i] = sum / colours;
  }
  const sky = Float64Array.from(grey).sort()[grey.length >> 1];
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  let s = 0, sxx = 0, syy = 0, sxy = 0;
  for (let y = 0; y < height; y++) {
    const dy = y - cy;
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      if (dx * dx + dy * dy > radius * radius) continue;
      const v = grey[y * width + x] - sky;
      if (!(v > 0)) continue;
      s += v;
      sxx += v * dx * dx;
      syy += v * dy * dy;
      sxy += v * dx * dy;
    }
  }
  if (!(s > 0)) return null;
  const mxx = sxx / s, myy = syy / s, mxy = sxy / s;
  // Major axis at φ from +x (right) towards +y (down the rows).
  const phi = 0.5 * Math.atan2(2 * mxy, mxx - myy);
  // Right is west and down is south: the direction (cos φ, sin φ) is east −cos φ, north −sin φ.
  return (((Math.atan2(-Math.cos(phi), -Math.sin(phi)) * 180) / Math.PI) % 180 + 180) % 180;
}
