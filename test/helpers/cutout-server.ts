/**
 * A small image cutout service on 127.0.0.1 for the image-source tests: it draws SDSS-style
 * getjpeg answers (and HiPS-style, FITS, blank and failing ones) from one local north-up sky
 * image.
 *
 * Its resampling is deliberately independent of lib/cutout/: a flat-sky offset (ΔRA cos Dec,
 * ΔDec) to pixels, then sharp's extract and resize, in two pipelines (one sharp pipeline that
 * extracts, extends and resizes does them in another order). Good to a pixel or so over a few
 * arcminutes, which is all the tests ask of it; it must not share code with what it tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { writeFits } from '../../lib/image/fits-write.js';

/** The sky the server draws from: an 8-bit RGB raster, north up, east left, row 0 at the top. */
export interface ServerSky {
  /** Position of the raster's centre pixel ((width − 1)/2, (height − 1)/2), degrees. */
  ra: number;
  dec: number;
  /** Arcseconds per pixel. */
  scaleArcsec: number;
  width: number;
  height: number;
  /** RGB, interleaved, row-major. */
  data: Uint8Array;
}

/** A running server. */
export interface CutoutServer {
  /** 'http://127.0.0.1:<port>' */
  url: string;
  /** Every request's URL, in order. */
  requests: URL[];
  close(): Promise<void>;
}

/** Grey level of a blank answer, as a survey gives outside its footprint. */
export const BLANK_LEVEL = 40;

/** The sky raster's pixel position of (ra, dec), flat-sky approximation. */
function skyPixel(sky: ServerSky, ra: number, dec: number): { x: number; y: number } {
  const dRa = ((ra - sky.ra + 540) % 360) - 180;
  return {
    x: (sky.width - 1) / 2 - (dRa * Math.cos((sky.dec * Math.PI) / 180) * 3600) / sky.scaleArcsec,
    y: (sky.height - 1) / 2 - ((dec - sky.dec) * 3600) / sky.scaleArcsec,
  };
}

/** A `width` × `height` JPEG of the sky around (ra, dec) at `scale` ″/px; null when it misses the raster. */
async function draw(sky: ServerSky, ra: number, dec: number, scale: number, width: number, height: number): Promise<Buffer | null> {
  const c = skyPixel(sky, ra, dec);
  const w = Math.max(1, Math.round((width * scale) / sky.scaleArcsec));
  const h = Math.max(1, Math.round((height * scale) / sky.scaleArcsec));
  const left = Math.round(c.x + 0.5 - w / 2), top = Math.round(c.y + 0.5 - h / 2);
  const x0 = Math.max(0, left), y0 = Math.max(0, top);
  const x1 = Math.min(sky.width, left + w), y1 = Math.min(sky.height, top + h);
  if (x1 <= x0 || y1 <= y0) return null;
  const region = await sharp(sky.data, { raw: { width: sky.width, height: sky.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .extend({ left: x0 - left, top: y0 - top, right: left + w - x1, bottom: top + h - y1, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return sharp(region, { raw: { width: w, height: h, channels: 3 } }).resize(width, height, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
}

function blank(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: BLANK_LEVEL, g: BLANK_LEVEL, b: BLANK_LEVEL } } }).jpeg().toBuffer();
}

/**
 * The whole sky raster as a grey FITS image with its own WCS, stored bottom row first (FITS
 * viewers' way), whatever position was asked: a client that ignored the header would misplace it.
 */
function skyFits(sky: ServerSky): Uint8Array {
  const { width, height } = sky;
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = ((height - 1 - y) * width + x) * 3;
      pixels[y * width + x] = (sky.data[at] + sky.data[at + 1] + sky.data[at + 2]) / 3;
    }
  }
  const s = sky.scaleArcsec / 3600;
  return writeFits(width, height, pixels, {
    bitpix: -32,
    extraCards: [
      ['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'],
      ['CRVAL1', sky.ra], ['CRVAL2', sky.dec],
      ['CRPIX1', (width - 1) / 2 + 1], ['CRPIX2', (height - 1) / 2 + 1],
      ['CD1_1', -s], ['CD1_2', 0], ['CD2_1', 0], ['CD2_2', s],
    ],
  });
}

function numbers(url: URL, ...names: string[]): number[] {
  return names.map((n) => Number(url.searchParams.get(n)));
}

async function answer(sky: ServerSky, url: URL, res: ServerResponse): Promise<void> {
  const send = (status: number, type: string, body: Uint8Array | string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const jpeg = async (ra: number, dec: number, scale: number, width: number, height: number) => {
    if (![ra, dec, scale, width, height].every(Number.isFinite) || width < 1 || height < 1) return send(400, 'text/plain', 'bad parameters');
    send(200, 'image/jpeg', (await draw(sky, ra, dec, scale, width, height)) ?? (await blank(width, height)));
  };
  const path = url.pathname;
  if (path === '/getjpeg') {
    const [ra, dec, scale, width, height] = numbers(url, 'ra', 'dec', 'scale', 'width', 'height');
    return jpeg(ra, dec, scale, width, height);
  }
  if (path === '/hips') {
    // hips2fits style: the field of view in degrees instead of a scale.
    const [ra, dec, fov, width, height] = numbers(url, 'ra', 'dec', 'fov', 'width', 'height');
    return jpeg(ra, dec, (fov * 3600) / width, width, height);
  }
  if (path === '/fits') return send(200, 'application/fits', skyFits(sky));
  if (path === '/nan-fits') return send(200, 'application/fits', writeFits(16, 16, new Float32Array(256).fill(NaN), { bitpix: -32 }));
  if (path === '/blank') {
    const [width, height] = numbers(url, 'width', 'height');
    return send(200, 'image/jpeg', await blank(width || 64, height || 64));
  }
  if (path === '/text') return send(200, 'text/html', '<html><body><h1>Service error</h1><p>Invalid coordinates</p></body></html>');
  if (path === '/huge') return send(200, 'image/jpeg', new Uint8Array(3 * 1024 * 1024).fill(0xff));
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) return send(Number(status[1]), 'text/plain', `status ${status[1]}`);
  // '/slow' and anything else under it: never answer (the client's timeout or abort must end it).
  if (path.startsWith('/slow')) return;
  send(404, 'text/plain', 'not found');
}

/** Starts the server on 127.0.0.1, a free port. */
export async function startCutoutServer(sky: ServerSky): Promise<CutoutServer> {
  const requests: URL[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    answer(sky, url, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

/** A loopback port with nothing listening on it (a server opened and closed again). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
