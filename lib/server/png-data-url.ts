/** PNG bytes as the data URL the API's answers carry them in (`image`, `overlay`, `cutout`). */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}
