/**
 * Reading a multipart upload: one image file and a few text fields, within a byte limit. Over
 * the limit the file is read to its end and dropped (busboy keeps no more than the limit), so
 * the answer comes once the request is complete and the connection stays usable; stopping the
 * parse early and answering mid-upload left connections that neither closed nor idled.
 */
import type { FastifyRequest } from 'fastify';
import { AsterismError } from '../errors.js';

/** An uploaded file. */
export interface UploadedFile {
  /** The multipart field it came in. */
  field: string;
  /** The name the client gave it (never used as a path). */
  filename: string;
  /** Its bytes; empty when it was over the limit. */
  bytes: Buffer;
  /** True when it was larger than the limit. */
  tooLarge: boolean;
}

/** What a multipart request carried. */
export interface Upload {
  /** The first file in one of the accepted fields, if any. */
  file?: UploadedFile;
  /** Text fields, by name (the last value when one is repeated). */
  fields: Record<string, string>;
}

/** Text fields an upload may carry, at most; each at most this many bytes. */
const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 4096;

/**
 * Reads the request's parts. Files in other fields than `fileFields` (and files after the
 * first) are read and dropped.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` when the request is not multipart/form-data.
 */
export async function readUpload(request: FastifyRequest, fileFields: readonly string[], limitBytes: number): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new AsterismError('E_INVALID_ARGUMENT', `send the image as multipart/form-data in the field '${fileFields[0]}'`);
  }
  const fields: Record<string, string> = {};
  let file: UploadedFile | undefined;
  const parts = request.parts({
    throwFileSizeLimit: false,
    limits: { fileSize: limitBytes, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: 4 },
  } as Parameters<FastifyRequest['parts']>[0]);
  for await (const part of parts) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    const bytes = await part.toBuffer();
    if (file || !fileFields.includes(part.fieldname)) continue;
    const tooLarge = part.file.truncated;
    file = { field: part.fieldname, filename: part.filename ?? '', bytes: tooLarge ? Buffer.alloc(0) : bytes, tooLarge };
  }
  return { file, fields };
}

/** The web image formats IncliNET accepts, by their first bytes. */
export type WebImageType = 'jpeg' | 'png' | 'gif';

/** Which of JPEG, PNG and GIF the bytes are, by their signature; null for anything else. */
export function webImageType(bytes: Uint8Array): WebImageType | null {
  const starts = (...sig: number[]) => bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0x47, 0x49, 0x46, 0x38, 0x37, 0x61) || starts(0x47, 0x49, 0x46, 0x38, 0x39, 0x61)) return 'gif';
  return null;
}

/** The suffixes IncliNET's upload accepts. */
const WEB_IMAGE_SUFFIXES = ['.jpg', '.jpeg', '.png', '.gif'];

/** True when the name ends in one of IncliNET's accepted suffixes (any case). */
export function hasWebImageSuffix(filename: string): boolean {
  const lower = filename.toLowerCase();
  return WEB_IMAGE_SUFFIXES.some((s) => lower.endsWith(s));
}
