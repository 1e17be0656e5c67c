/**
 * Minimal baseline TIFF writer for test fixtures: one uncompressed strip, one channel, 8/16-bit
 * unsigned or 32-bit float samples. sharp cannot encode 16-bit or float TIFF from raw input, so
 * the loader's deep-TIFF path is tested on files written here.
 */
export function writeTiff(width: number, height: number, data: Uint8Array | Uint16Array | Float32Array): Uint8Array {
  const bits = data instanceof Uint8Array ? 8 : data instanceof Uint16Array ? 16 : 32;
  const sampleFormat = data instanceof Float32Array ? 3 : 1;
  const bytesPerSample = bits / 8;
  const pixelBytes = width * height * bytesPerSample;
  const entries: Array<[number, number, number, number]> = [
    // tag, type (3 SHORT, 4 LONG), count, value
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 1, bits],
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 1], // black is zero
    [273, 4, 1, 0], // strip offset, filled below
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, pixelBytes],
    [339, 3, 1, sampleFormat],
  ];
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = ifdOffset + ifdSize;
  entries[5][3] = dataOffset;
  const out = new Uint8Array(dataOffset + pixelBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]); // little-endian "II", magic 42
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    if (type === 3) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
  });
  view.setUint32(ifdOffset + 2 + entries.length * 12, 0, true);
  for (let i = 0; i < width * height; i++) {
    const at = dataOffset + i * bytesPerSample;
    if (bits === 8) view.setUint8(at, data[i]);
    else if (bits === 16) view.setUint16(at, data[i], true);
    else view.setFloat32(at, data[i], true);
  }
  return out;
}
