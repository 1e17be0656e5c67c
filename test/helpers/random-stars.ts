/**
 * A FITS frame of stars at random places on a noisy sky: no index holds their pattern, so a
 * solve of it searches until its time limit. For tests of time limits and of work cut short.
 */
import { writeFits } from '../../lib/image/fits-write.js';

export function randomStarsFits(width = 800, height = 600, stars = 150, seed = 7): Uint8Array {
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
  // Sky with noise: detection measures the noise, and a flat sky has none.
  const pixels = Float32Array.from({ length: width * height }, () => 100 + 10 * (random() - 0.5));
  for (let k = 0; k < stars; k++) {
    const cx = 10 + random() * (width - 20), cy = 10 + random() * (height - 20), flux = 500 + random() * 20000;
    for (let y = Math.floor(cy) - 5; y <= Math.floor(cy) + 5; y++) {
      for (let x = Math.floor(cx) - 5; x <= Math.floor(cx) + 5; x++) {
        pixels[y * width + x] += (flux / (2 * Math.PI * 2.25)) * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 4.5);
      }
    }
  }
  return writeFits(width, height, pixels);
}
