/**
 * Synthetic galaxy images for the inclination tests and benchmark: an exponential disc seen at
 * an axis ratio, with a redder bulge, a little sky noise and a few stars, drawn analytically at
 * any position angle so a rotated galaxy is a fresh render, not a resampled one.
 */
import { createRng } from './random.js';

export interface GalaxyOptions {
  width: number;
  height: number;
  /** Position angle of the major axis, degrees north through east, north up and east left (default 0). */
  pa?: number;
  /** Major-axis scale length, pixels (default width / 8). */
  scale?: number;
  /** Minor / major axis ratio (default 0.35). */
  axisRatio?: number;
  /** Noise sigma in 8-bit levels; 0 for none (default 0). */
  noise?: number;
  /** Field stars scattered away from the centre (default 0). */
  stars?: number;
  seed?: number;
}

/** 8-bit RGB pixels, interleaved, row-major, ready for `{ data, width, height, channels: 3 }`. */
export function renderGalaxy(options: GalaxyOptions): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const { width, height, pa = 0, axisRatio = 0.35, noise = 0, stars = 0, seed = 1 } = options;
  const scale = options.scale ?? width / 8;
  const rng = createRng(seed);
  const t = (pa * Math.PI) / 180;
  // Major axis towards PA: from up (−y) towards east (−x) as displayed.
  const ux = -Math.sin(t), uy = -Math.cos(t);
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  const starList = Array.from({ length: stars }, () => ({ x: rng.uniform(0, width), y: rng.uniform(0, height), peak: rng.uniform(60, 250) }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - cx, dy = y - cy;
      const along = dx * ux + dy * uy, across = -dx * uy + dy * ux;
      const r = Math.hypot(along / scale, across / (scale * axisRatio));
      const disc = 200 * Math.exp(-r);
      const bulge = 120 * Math.exp(-(dx * dx + dy * dy) / (2 * (0.15 * scale) ** 2));
      let star = 0;
      for (const s of starList) star += s.peak * Math.exp(-((x - s.x) ** 2 + (y - s.y) ** 2) / 4.5);
      const rgb = [disc * 0.8 + bulge + star, disc * 0.9 + bulge * 0.8 + star, disc + bulge * 0.5 + star];
      for (let c = 0; c < 3; c++) {
        const v = rgb[c] + (noise ? noise * rng.normal() : 0);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width, height, channels: 3 };
}
