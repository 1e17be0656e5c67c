/** RA/Dec formatting shared by the CLI summaries. */
import { describe, expect, it } from 'vitest';
import { formatDecDms, formatRaHms } from '../lib/sky/sexagesimal.js';

describe('sexagesimal formatting', () => {
  it('writes M 31 as people quote it', () => {
    expect(formatRaHms(10.684708)).toBe('00h42m44.33s');
    expect(formatDecDms(41.26875)).toBe('+41°16′07.5″');
  });
  it('rounds before splitting, so no 60.00 s or 60.0″ appears', () => {
    expect(formatRaHms(((59.9999 / 3600) * 15))).toBe('00h01m00.00s');
    expect(formatRaHms(359.99999)).toBe('00h00m00.00s');
    expect(formatDecDms(-(0 + 59 / 60 + 59.97 / 3600))).toBe('-01°00′00.0″');
  });
  it('signs small southern declinations and wraps negative right ascensions', () => {
    expect(formatDecDms(-0.5)).toBe('-00°30′00.0″');
    expect(formatRaHms(-15)).toBe('23h00m00.00s');
  });
});
