/**
 * The byte layout shared by asterism's index files: a small header, a table of named typed
 * sections, JSON metadata, and the sections themselves, little-endian and 8-byte aligned so
 * that a file read into memory is used through typed-array views of its own bytes, with no
 * per-element parsing and no second copy. docs/index-format.md describes it for other tools.
 */
import { crc32 } from 'node:zlib';
import { AsterismError } from '../errors.js';

/** First 8 bytes of every asterism index file. */
export const INDEX_MAGIC = 'ASTERIDX';
/** The container version this code writes and reads. */
export const INDEX_CONTAINER_VERSION = 1;

const HEADER_BYTES = 32;
const SECTION_ENTRY_BYTES = 48;
const SECTION_NAME_BYTES = 24;

/** Element types a section may hold. */
export type SectionArray = Float64Array | Float32Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

const TYPE_CODES: Array<[number, new (buffer: ArrayBuffer, byteOffset: number, length: number) => SectionArray, number]> = [
  [1, Float64Array, 8],
  [2, Float32Array, 4],
  [3, Uint32Array, 4],
  [4, Int32Array, 4],
  [5, Uint16Array, 2],
  [6, Uint8Array, 1],
];

function typeCodeOf(array: SectionArray): number {
  for (const [code, ctor] of TYPE_CODES) if (array instanceof ctor) return code;
  throw new AsterismError('E_INVALID_ARGUMENT', 'unsupported section array type');
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Contents of an index container: metadata plus named arrays. */
export interface Container<M = Record<string, unknown>> {
  meta: M;
  sections: Record<string, SectionArray>;
}

/**
 * Serialises a container. Layout (all little-endian):
 * header (32 B) — magic, version u32, section count u32, metadata length u32, CRC-32 u32 of
 * every byte after the header, file length u64; section table (48 B per section: name, type
 * u32, reserved u32, byte offset u64, element count u64); metadata JSON (UTF-8, padded to 8);
 * the sections, each starting on an 8-byte boundary.
 */
export function writeContainer(container: Container<unknown>): Uint8Array {
  if (!isLittleEndian()) throw new AsterismError('E_NATIVE', 'writing index files needs a little-endian machine');
  const names = Object.keys(container.sections);
  const json = new TextEncoder().encode(JSON.stringify(container.meta));
  let offset = align8(HEADER_BYTES + names.length * SECTION_ENTRY_BYTES + json.length);
  const placements = names.map((name) => {
    if (new TextEncoder().encode(name).length > SECTION_NAME_BYTES || !/^[\x21-\x7e]+$/.test(name)) {
      throw new AsterismError('E_INVALID_ARGUMENT', `section name '${name}' must be 1–${SECTION_NAME_BYTES} printable ASCII characters`);
    }
    const array = container.sections[name];
    const at = offset;
    offset = align8(offset + array.byteLength);
    return { name, array, at };
  });
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = INDEX_MAGIC.charCodeAt(i);
  view.setUint32(8, INDEX_CONTAINER_VERSION, true);
  view.setUint32(12, names.length, true);
  view.setUint32(16, json.length, true);
  view.setBigUint64(24, BigInt(out.length), true);
  placements.forEach(({ name, array, at }, i) => {
    const entry = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    for (let k = 0; k < name.length; k++) out[entry + k] = name.charCodeAt(k);
    view.setUint32(entry + SECTION_NAME_BYTES, typeCodeOf(array), true);
    view.setBigUint64(entry + SECTION_NAME_BYTES + 8, BigInt(at), true);
    view.setBigUint64(entry + SECTION_NAME_BYTES + 16, BigInt(array.length), true);
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
  });
  out.set(json, HEADER_BYTES + names.length * SECTION_ENTRY_BYTES);
  view.setUint32(20, crc32(out.subarray(HEADER_BYTES)) >>> 0, true);
  return out;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Parses a container from its bytes. Section arrays are views of `bytes` (copied once first
 * only when `bytes` does not start on an 8-byte boundary). `label` names the file in errors.
 *
 * @throws AsterismError E_INDEX_FORMAT (not an index, inconsistent table, bad checksum),
 *   E_INDEX_TRUNCATED, E_INDEX_VERSION.
 */
export function readContainer<M = Record<string, unknown>>(input: Uint8Array, label = 'index file', options: { verifyChecksum?: boolean } = {}): Container<M> {
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  const fail = (code: 'E_INDEX_FORMAT' | 'E_INDEX_TRUNCATED' | 'E_INDEX_VERSION', why: string): never => {
    throw new AsterismError(code, `${label}: ${why}`);
  };
  if (bytes.length < HEADER_BYTES) fail(bytes.length === 0 ? 'E_INDEX_FORMAT' : 'E_INDEX_TRUNCATED', `too short to be an asterism index (${bytes.length} bytes)`);
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== INDEX_MAGIC) fail('E_INDEX_FORMAT', 'not an asterism index file (wrong magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== INDEX_CONTAINER_VERSION) fail('E_INDEX_VERSION', `format version ${version}; this asterism reads version ${INDEX_CONTAINER_VERSION} (rebuild the index or upgrade asterism)`);
  const count = view.getUint32(12, true);
  const jsonLength = view.getUint32(16, true);
  const declared = view.getBigUint64(24, true);
  if (declared > BigInt(bytes.length)) fail('E_INDEX_TRUNCATED', `the header declares ${declared} bytes but the file has ${bytes.length}`);
  if (declared < BigInt(bytes.length)) fail('E_INDEX_FORMAT', `the header declares ${declared} bytes but the file has ${bytes.length}`);
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  if (count > 4096 || tableEnd + jsonLength > bytes.length) fail('E_INDEX_FORMAT', 'the section table does not fit in the file');
  if (options.verifyChecksum ?? true) {
    const expected = view.getUint32(20, true);
    const actual = crc32(bytes.subarray(HEADER_BYTES)) >>> 0;
    if (expected !== actual) fail('E_INDEX_FORMAT', `checksum mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)}): the file is corrupt`);
  }
  let meta: M;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(tableEnd, tableEnd + jsonLength))) as M;
  } catch {
    return fail('E_INDEX_FORMAT', 'the metadata is not valid JSON');
  }
  const sections: Record<string, SectionArray> = {};
  for (let i = 0; i < count; i++) {
    const entry = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    let name = '';
    for (let k = 0; k < SECTION_NAME_BYTES && bytes[entry + k] !== 0; k++) name += String.fromCharCode(bytes[entry + k]);
    const code = view.getUint32(entry + SECTION_NAME_BYTES, true);
    const type = TYPE_CODES.find(([c]) => c === code);
    if (!type) fail('E_INDEX_FORMAT', `section '${name}' has unknown type ${code}`);
    const [, ctor, size] = type!;
    const at = view.getBigUint64(entry + SECTION_NAME_BYTES + 8, true);
    const length = view.getBigUint64(entry + SECTION_NAME_BYTES + 16, true);
    if (at % 8n !== 0n || at < BigInt(tableEnd + jsonLength) || at + length * BigInt(size) > BigInt(bytes.length)) {
      fail('E_INDEX_FORMAT', `section '${name}' lies outside the file or is misaligned`);
    }
    if (name in sections) fail('E_INDEX_FORMAT', `section '${name}' appears twice`);
    sections[name] = new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + Number(at), Number(length));
  }
  return { meta, sections };
}
