/**
 * A minimal FITS HDU walker and binary-table (BINTABLE) reader on top of the header parser in
 * ./fits.js.ts. It reads star catalogues exported as FITS tables (RA, Dec, magnitude columns)
 * and the tables inside astrometry.net index files (lib/skyindex/anet.ts).
 *
 * Input is a {@link FitsByteSource}: a whole file in memory ({@link fitsBytesSource}: every read
 * is a view, nothing is copied) or an open file ({@link openFitsFile}: positioned reads of only
 * the headers and the tables asked for, so multi-GB files need not fit in memory).
 *
 * Every offset and length is checked against the source before it is read: bad or truncated
 * input throws an {@link AsterismError} (`E_IMAGE_FORMAT`, `E_FITS_HEADER`, `E_IMAGE_TRUNCATED`),
 * never a RangeError, and the walk always ends (each HDU consumes at least one 2880-byte block).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AsterismError } from '../errors.js';
import { parseFitsValue } from './fits.js';
import { MAX_HEADER_CARDS, readFitsHduHeader } from './fits.js.js';
import type { FitsCard } from './image.js';

const BLOCK = 2880;
const CARD = 80;
const MAX_HEADER_BLOCKS = Math.ceil(MAX_HEADER_CARDS / (BLOCK / CARD));

/** Random access to the bytes of a FITS file. */
export interface FitsByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /**
   * `length` bytes from `offset`; the caller has checked that they lie inside `size`. In-memory
   * sources return views of their bytes, file sources a fresh array (byteOffset 0).
   */
  read(offset: number, length: number): Uint8Array;
}

/** An open FITS file: call `close()` when done. */
export interface FitsFileSource extends FitsByteSource {
  close(): void;
}

/**
 * A source over bytes already in memory. Reads are zero-copy views: results that alias the
 * input say so in their documentation.
 *
 * @example
 * ```ts
 * const hdus = listFitsHdus(fitsBytesSource(readFileSync('catalog.fits')));
 * ```
 */
export function fitsBytesSource(bytes: Uint8Array): FitsByteSource {
  if (!(bytes instanceof Uint8Array)) throw new AsterismError('E_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * Opens `path` for positioned reads. Only the headers and the data units that are read
 * (for example with {@link readColumn}) are loaded.
 *
 * @throws AsterismError `E_IO` when the file cannot be opened or read.
 *
 * @example
 * ```ts
 * const file = openFitsFile('tyc2.fits');
 * try { const hdus = listFitsHdus(file); } finally { file.close(); }
 * ```
 */
export function openFitsFile(path: string): FitsFileSource {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
    size = fstatSync(fd).size;
  } catch (cause) {
    throw new AsterismError('E_IO', `cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
          if (n === 0) throw new Error(`unexpected end of file at byte ${offset + done}`);
          done += n;
        }
      } catch (cause) {
        throw new AsterismError('E_IO', `cannot read ${path}: ${(cause as Error).message}`, { cause });
      }
      return out;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** What an HDU holds, from its first card. */
export type FitsHduKind = 'primary' | 'image' | 'bintable' | 'table' | 'other';

/** One header-data unit, described from its header alone. */
export interface FitsHdu {
  /** 0 for the primary HDU. */
  index: number;
  kind: FitsHduKind;
  /** EXTNAME when present. */
  name?: string;
  /** The header's cards (END excluded), values parsed as in {@link parseFitsValue}. */
  cards: FitsCard[];
  /** Byte offset of the header in the file. */
  headerOffset: number;
  /** Byte offset of the data unit. */
  dataOffset: number;
  /** Unpadded length of the data unit in bytes. */
  dataSize: number;
}

function fail(code: AsterismError['code'], message: string): never {
  throw new AsterismError(code, message);
}

function asSource(input: Uint8Array | FitsByteSource): FitsByteSource {
  return input instanceof Uint8Array ? fitsBytesSource(input) : input;
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** True when the 80-byte card at `at` is END (keyword END, the rest of the keyword field blank). */
function isEndCard(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== 0x45 || bytes[at + 1] !== 0x4e || bytes[at + 2] !== 0x44) return false;
  for (let k = 3; k < 8; k++) if (bytes[at + k] !== 0x20) return false;
  return true;
}

/** Bytes of the header starting at `offset`: whole blocks up to END, or all there is when END is missing. */
function headerBytes(source: FitsByteSource, offset: number): Uint8Array {
  let blocks = 0;
  while (blocks < MAX_HEADER_BLOCKS) {
    const at = offset + blocks * BLOCK;
    const length = Math.min(BLOCK, source.size - at);
    if (length <= 0) break;
    const block = source.read(at, length);
    blocks++;
    let found = false;
    for (let c = 0; c + CARD <= length; c += CARD) {
      if (isEndCard(block, c)) {
        found = true;
        break;
      }
    }
    if (found || length < BLOCK) break;
  }
  return source.read(offset, Math.min(blocks * BLOCK, source.size - offset));
}

function hduKind(index: number, cards: FitsCard[]): FitsHduKind {
  if (index === 0) return 'primary';
  const x = cards.find((c) => c.keyword === 'XTENSION')?.value;
  const name = typeof x === 'string' ? x.trim() : '';
  if (name === 'IMAGE') return 'image';
  if (name === 'BINTABLE' || name === 'A3DTABLE') return 'bintable';
  if (name === 'TABLE') return 'table';
  return 'other';
}

/**
 * Walks the HDUs of a FITS file, reading headers only.
 *
 * @param input - the whole file, or a {@link FitsByteSource}.
 * @returns every HDU in file order. Bytes after the last HDU that do not start an extension are ignored.
 * @throws AsterismError `E_IMAGE_FORMAT` (not FITS), `E_FITS_HEADER` (malformed header),
 *   `E_IMAGE_TRUNCATED` (a header or data unit ends early).
 *
 * @example
 * ```ts
 * for (const hdu of listFitsHdus(bytes)) console.log(hdu.index, hdu.kind, hdu.name, hdu.dataSize);
 * ```
 */
export function listFitsHdus(input: Uint8Array | FitsByteSource): FitsHdu[] {
  const source = asSource(input);
  if (source.size < 9 || ascii(source.read(0, 9)) !== 'SIMPLE  =') {
    fail('E_IMAGE_FORMAT', 'not a FITS file: it does not start with SIMPLE  =');
  }
  const hdus: FitsHdu[] = [];
  let offset = 0;
  for (let index = 0; ; index++) {
    if (index > 0 && (source.size - offset < 8 || ascii(source.read(offset, 8)) !== 'XTENSION')) break;
    const header = readFitsHduHeader(headerBytes(source, offset), 0, index);
    if (header.dataBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail('E_FITS_HEADER', `FITS header of HDU ${index} declares ${header.dataBytes} bytes of data`);
    }
    const dataSize = Number(header.dataBytes);
    const dataOffset = offset + header.dataOffset;
    const present = Math.max(0, source.size - dataOffset);
    if (dataSize > present) {
      fail('E_IMAGE_TRUNCATED', `FITS file is truncated: HDU ${index} declares ${dataSize} bytes of data, only ${present} are present`);
    }
    const cards = header.cards.map(([keyword, value, comment]) => ({ keyword, value: parseFitsValue(value), comment }));
    const extname = cards.find((c) => c.keyword === 'EXTNAME')?.value;
    hdus.push({
      index,
      kind: hduKind(index, cards),
      ...(typeof extname === 'string' ? { name: extname.trim() } : {}),
      cards,
      headerOffset: offset,
      dataOffset,
      dataSize,
    });
    offset = dataOffset + Math.ceil(dataSize / BLOCK) * BLOCK;
  }
  return hdus;
}

/**
 * The value of the first card named `keyword` in `cards`, or undefined.
 *
 * @example
 * ```ts
 * const rows = fitsCardValue(hdu.cards, 'NAXIS2');
 * ```
 */
export function fitsCardValue(cards: readonly FitsCard[], keyword: string): FitsCard['value'] | undefined {
  for (const c of cards) if (c.keyword === keyword) return c.value;
  return undefined;
}

/** TFORM type letters (FITS 4.0, table 18). */
export type BinTableType = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M' | 'P' | 'Q';

const TYPE_BYTES: Record<BinTableType, number> = { L: 1, X: 0, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16 };

/** One column of a binary table, from its TFORMn/TTYPEn/TSCALn/TZEROn/TUNITn cards. */
export interface BinTableColumn {
  /** 0-based column number (TFORM1 is column 0). */
  index: number;
  /** TTYPEn, trailing spaces removed; '' when absent. */
  name: string;
  /** TFORMn as written. */
  form: string;
  /** Elements per row (bits for X). */
  repeat: number;
  type: BinTableType;
  /** Byte offset of the column inside a row. */
  offset: number;
  /** Bytes per row. */
  width: number;
  /** TSCALn (default 1). */
  scale: number;
  /** TZEROn (default 0). */
  zero: number;
  unit?: string;
}

/** A binary table's layout, from its header. */
export interface BinTable {
  hdu: FitsHdu;
  /** NAXIS2. */
  rowCount: number;
  /** NAXIS1. */
  rowBytes: number;
  columns: BinTableColumn[];
}

function integerCard(hdu: FitsHdu, keyword: string, min: number, max: number): number {
  const v = fitsCardValue(hdu.cards, keyword);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: ${keyword} = ${v === undefined ? 'missing' : String(v)} is not an integer in ${min}..${max}`);
  }
  return v;
}

function numberCard(hdu: FitsHdu, keyword: string, fallback: number): number {
  const v = fitsCardValue(hdu.cards, keyword);
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: ${keyword} = ${String(v)} is not a number`);
  return v;
}

const TFORM = /^\s*(\d*)([LXBIJKAEDCMPQ])(.*)$/;

/**
 * Reads a BINTABLE's layout from its header (no data is read).
 *
 * @throws AsterismError `E_IMAGE_FORMAT` when `hdu` is not a binary table, `E_FITS_HEADER` when
 *   its TFORMn cards are missing, malformed or do not add up to NAXIS1.
 *
 * @example
 * ```ts
 * const table = binTable(listFitsHdus(bytes)[1]);
 * console.log(table.rowCount, table.columns.map((c) => c.name));
 * ```
 */
export function binTable(hdu: FitsHdu): BinTable {
  if (hdu.kind !== 'bintable') fail('E_IMAGE_FORMAT', `HDU ${hdu.index} is not a binary table (${hdu.kind})`);
  if (integerCard(hdu, 'BITPIX', -64, 64) !== 8) fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: BITPIX must be 8`);
  if (integerCard(hdu, 'NAXIS', 0, 999) !== 2) fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: NAXIS must be 2`);
  const rowBytes = integerCard(hdu, 'NAXIS1', 0, Number.MAX_SAFE_INTEGER);
  const rowCount = integerCard(hdu, 'NAXIS2', 0, Number.MAX_SAFE_INTEGER);
  const fields = integerCard(hdu, 'TFIELDS', 0, 999);
  if (fitsCardValue(hdu.cards, 'GCOUNT') !== undefined && integerCard(hdu, 'GCOUNT', 0, Number.MAX_SAFE_INTEGER) !== 1) {
    fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: GCOUNT must be 1`);
  }
  if (rowBytes * rowCount > hdu.dataSize) {
    fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: ${rowCount} rows of ${rowBytes} bytes do not fit its ${hdu.dataSize}-byte data unit`);
  }
  const columns: BinTableColumn[] = [];
  let offset = 0;
  for (let n = 1; n <= fields; n++) {
    const form = fitsCardValue(hdu.cards, `TFORM${n}`);
    const m = typeof form === 'string' ? TFORM.exec(form) : null;
    if (m === null) fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: TFORM${n} = ${String(form)} is not a valid column format`);
    const repeat = m[1] === '' ? 1 : Number(m[1]);
    if (!Number.isSafeInteger(repeat)) fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: TFORM${n} repeat ${m[1]} is too large`);
    const type = m[2] as BinTableType;
    const width = type === 'X' ? Math.ceil(repeat / 8) : type === 'P' || type === 'Q' ? Math.min(repeat, 1) * TYPE_BYTES[type] : repeat * TYPE_BYTES[type];
    const name = fitsCardValue(hdu.cards, `TTYPE${n}`);
    const unit = fitsCardValue(hdu.cards, `TUNIT${n}`);
    columns.push({
      index: n - 1,
      name: typeof name === 'string' ? name.trimEnd() : '',
      form: form as string,
      repeat,
      type,
      offset,
      width,
      scale: numberCard(hdu, `TSCAL${n}`, 1),
      zero: numberCard(hdu, `TZERO${n}`, 0),
      ...(typeof unit === 'string' ? { unit: unit.trimEnd() } : {}),
    });
    offset += width;
    if (offset > rowBytes) break;
  }
  if (offset !== rowBytes) {
    fail('E_FITS_HEADER', `FITS binary table in HDU ${hdu.index}: its columns take ${offset} bytes per row, NAXIS1 says ${rowBytes}`);
  }
  return { hdu, rowCount, rowBytes, columns };
}

function findColumn(table: BinTable, column: string | number): BinTableColumn {
  const c = typeof column === 'number'
    ? table.columns[column]
    : table.columns.find((col) => col.name === column) ?? table.columns.find((col) => col.name.toLowerCase() === column.toLowerCase());
  if (c === undefined) fail('E_INVALID_ARGUMENT', `binary table in HDU ${table.hdu.index} has no column ${JSON.stringify(column)}`);
  return c;
}

/**
 * The raw bytes of one column, `rowCount × width` bytes in row order, exactly as stored (no
 * byte swapping). astrometry.net stores native-endian binary data in `A` columns; read them here.
 *
 * When the column fills the whole row and `source` is in memory, the result is a view of the
 * source's bytes (not a copy); otherwise a new array.
 *
 * @example
 * ```ts
 * const raw = readColumnBytes(source, table, 'quads'); // 12 bytes per row
 * ```
 */
export function readColumnBytes(input: Uint8Array | FitsByteSource, table: BinTable, column: string | number): Uint8Array {
  const source = asSource(input);
  const c = findColumn(table, column);
  const { rowCount, rowBytes } = table;
  const start = table.hdu.dataOffset;
  if (start + rowBytes * rowCount > source.size) {
    fail('E_IMAGE_TRUNCATED', `FITS file is truncated: the table in HDU ${table.hdu.index} needs ${rowBytes * rowCount} bytes`);
  }
  if (c.width === rowBytes) return source.read(start, rowBytes * rowCount);
  const out = new Uint8Array(c.width * rowCount);
  if (c.width === 0) return out;
  // Read in slabs of rows so a file source never holds more than one slab of other columns.
  const slabRows = Math.max(1, Math.floor((1 << 24) / Math.max(1, rowBytes)));
  for (let r0 = 0; r0 < rowCount; r0 += slabRows) {
    const rows = Math.min(slabRows, rowCount - r0);
    const slab = source.read(start + r0 * rowBytes, rows * rowBytes);
    for (let r = 0; r < rows; r++) {
      out.set(slab.subarray(r * rowBytes + c.offset, r * rowBytes + c.offset + c.width), (r0 + r) * c.width);
    }
  }
  return out;
}

/** What {@link readColumn} returns for each type. */
export type BinTableValues =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array | string[];

/**
 * Decodes one column (big-endian, as the FITS standard stores it) into a typed array of
 * `rowCount × repeat` elements in row order:
 *
 * - `L`: Uint8Array, 1 for 'T', 0 otherwise. `X`: Uint8Array of the packed bytes (ceil(repeat/8) per row).
 * - `B`: Uint8Array; Int8Array when TZERO = −128 (signed bytes). `I`: Int16Array; Uint16Array when TZERO = 32768.
 *   `J`: Int32Array; Uint32Array when TZERO = 2^31. `K`: BigInt64Array; BigUint64Array when TZERO = 2^63.
 *   Any other TSCAL/TZERO on an integer column gives a Float64Array of TZERO + TSCAL × value.
 * - `E`: Float32Array, `D`: Float64Array (a Float64Array when TSCAL/TZERO are not 1/0).
 * - `C`/`M` (complex): Float32Array/Float64Array of interleaved real, imaginary.
 * - `A`: one string per row, trailing spaces and NULs removed.
 *
 * @throws AsterismError `E_IMAGE_FORMAT` for variable-length (P/Q) columns, `E_IMAGE_TRUNCATED`,
 *   `E_INVALID_ARGUMENT` for an unknown column.
 *
 * @example
 * ```ts
 * const table = binTable(hdus[1]);
 * const ra = readColumn(bytes, table, 'RA') as Float64Array;
 * ```
 */
export function readColumn(input: Uint8Array | FitsByteSource, table: BinTable, column: string | number): BinTableValues {
  const c = findColumn(table, column);
  if (c.type === 'P' || c.type === 'Q') fail('E_IMAGE_FORMAT', `column ${c.name} in HDU ${table.hdu.index} is a variable-length array (${c.form}), which is not supported`);
  const raw = readColumnBytes(input, table, c.index);
  const rows = table.rowCount;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const identity = c.scale === 1 && c.zero === 0;
  const count = c.type === 'X' ? raw.length : rows * c.repeat * (c.type === 'C' || c.type === 'M' ? 2 : 1);
  switch (c.type) {
    case 'A': {
      const out: string[] = new Array(rows);
      for (let r = 0; r < rows; r++) out[r] = ascii(raw.subarray(r * c.width, (r + 1) * c.width)).replace(/[\0 ]+$/, '');
      return out;
    }
    case 'L':
      return Uint8Array.from(raw, (b) => (b === 0x54 ? 1 : 0));
    case 'X':
      return Uint8Array.from(raw);
    case 'B':
      if (c.scale === 1 && c.zero === -128) return Int8Array.from(raw, (b) => b - 128);
      if (identity) return Uint8Array.from(raw);
      return Float64Array.from(raw, (b) => c.zero + c.scale * b);
    case 'I': {
      if (c.scale === 1 && c.zero === 32768) return Uint16Array.from({ length: count }, (_, i) => view.getInt16(i * 2) + 32768);
      const out = identity ? new Int16Array(count) : new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = identity ? view.getInt16(i * 2) : c.zero + c.scale * view.getInt16(i * 2);
      return out;
    }
    case 'J': {
      if (c.scale === 1 && c.zero === 2147483648) return Uint32Array.from({ length: count }, (_, i) => view.getInt32(i * 4) + 2147483648);
      const out = identity ? new Int32Array(count) : new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = identity ? view.getInt32(i * 4) : c.zero + c.scale * view.getInt32(i * 4);
      return out;
    }
    case 'K': {
      if (c.scale === 1 && c.zero === 9223372036854775808) {
        const out = new BigUint64Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getBigUint64(i * 8) ^ (1n << 63n);
        return out;
      }
      if (identity) {
        const out = new BigInt64Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8);
        return out;
      }
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = c.zero + c.scale * Number(view.getBigInt64(i * 8));
      return out;
    }
    case 'E':
    case 'C': {
      const out = identity ? new Float32Array(count) : new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = identity ? view.getFloat32(i * 4) : c.zero + c.scale * view.getFloat32(i * 4);
      return out;
    }
    case 'D':
    case 'M': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = identity ? view.getFloat64(i * 8) : c.zero + c.scale * view.getFloat64(i * 8);
      return out;
    }
  }
}
