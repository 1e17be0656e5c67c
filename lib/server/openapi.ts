/**
 * The OpenAPI 3.1 description served at `/api/docs`. Written by hand next to the routes; the
 * tests check it is valid and that it lists every route the server registers, so the two
 * cannot drift apart silently.
 */
import { packageVersion } from '../package-root.js';
import { formatLimit, type ServerSettings } from './options.js';
import { notFoundMessage, uploadNote } from './routes/inclinet.js';
import { NDJSON, SOLVE_HINT_FIELDS } from './routes/sky.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const failed = (description: string) => json(ref('Failed'), description);

/** Responses every inference or solve endpoint may give besides its own. */
const LOAD_RESPONSES = {
  '499': failed('The client closed the connection before the answer (code E_ABORTED; logged, not sent).'),
  '500': failed('A fault of the server (code E_INTERNAL, E_MODEL, …): its log says more.'),
  '503': failed('The queue is full (code E_BUSY): try again shortly; Retry-After is set.'),
  '504': failed("The work took longer than the server's request time limit (code E_TIMEOUT)."),
};

const imageQuery = {
  name: 'image', in: 'query', required: false,
  description: "'1' adds `image`: the 128 × 128 RGB cutout the models saw (major axis horizontal), as a PNG data URL. Not in IncliNET.",
  schema: { type: 'string', enum: ['1', 'true', '0', 'false'] },
};

const galaxyResponses = {
  '200': {
    description: "The inclination (status 'success'), or IncliNET's not-found answer (status 'failed').",
    content: { 'application/json': { schema: { oneOf: [ref('InclinetResponse'), ref('InclinetFailed')] } } },
  },
  '400': failed('Malformed parameters (code E_INVALID_ARGUMENT).'),
  '502': failed('The image source could not give an image of that sky (code E_IMAGE_SOURCE).'),
  ...LOAD_RESPONSES,
};

function solveRequestBody(settings: ServerSettings) {
  const hints = Object.fromEntries(Object.entries(SOLVE_HINT_FIELDS).map(([k, description]) => [k, { type: 'string', description }]));
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object', required: ['image'],
          properties: {
            image: { type: 'string', format: 'binary', description: `The sky image: FITS, JPEG, PNG, TIFF or WebP, at most ${formatLimit(settings.solveUploadLimitBytes)} and ${settings.maxPixels.toLocaleString('en')} pixels (the field 'file' is accepted too).` },
            ...hints,
          },
        },
      },
    },
  };
}

/** /api/solve and /api/field: the same upload and failures, different results. */
function skyOperation(settings: ServerSettings, summary: string, operationId: string, result: string, description: string) {
  return {
    post: {
      summary, operationId, requestBody: solveRequestBody(settings),
      responses: {
        '200': {
          description: `${description} With Accept: ${NDJSON}, a stream of lines instead: {"progress": {stage, done, total, solve?, elapsedMs}} as the work goes on, then the answer's line, or a failure's ({"status": "failed", "code", "message"}) if the work fails after the stream began.`,
          content: {
            'application/json': { schema: ref(result) },
            [NDJSON]: { schema: { oneOf: [ref('Progress'), ref(result), ref('Failed')] } },
          },
        },
        '400': failed('Not an image, or a malformed hint (E_IMAGE_FORMAT, E_INVALID_ARGUMENT, …).'),
        '413': failed('The image is over the byte or pixel limit (E_IMAGE_TOO_LARGE).'),
        ...LOAD_RESPONSES,
      },
    },
  };
}

const summary = { type: 'object', required: ['mean', 'median', 'stdev'], properties: { mean: { type: 'number' }, median: { type: 'number' }, stdev: { type: 'number' } } };

const schemas: Record<string, Schema> = {
  Summary: { ...summary, description: 'Mean, median and population standard deviation over the ensemble, 2 decimals.' },
  Inclinations: {
    type: 'object', required: ['summary'],
    description: 'One object per model group (Group_0, …) mapping each regression model to whole degrees (45–90, 90 = edge-on), and `summary` over all of them.',
    properties: { summary: ref('Summary') },
    additionalProperties: { oneOf: [{ type: 'object', additionalProperties: { type: 'number' } }, ref('Summary')] },
  },
  Rejection: {
    type: 'object', required: ['summary'],
    description: 'Each binary model\'s likelihood (percent, 0–100) that a person would reject the image (not a galaxy, face-on, too faint, cut off), and `summary`.',
    properties: { summary: ref('Summary') },
    additionalProperties: { oneOf: [{ type: 'number' }, ref('Summary')] },
  },
  InclinetGalaxy: {
    type: 'object', required: ['pgc', 'ra', 'dec', 'fov', 'pa', 'objname'],
    properties: {
      pgc: { type: ['integer', 'null'] },
      ra: { type: 'string', examples: ['339.2673 deg'] },
      dec: { type: 'string', examples: ['34.4156 deg'] },
      fov: { type: 'string', examples: ['14.00 arcmin'], description: '1.5 × D25 for catalogued galaxies' },
      pa: { type: 'string', examples: ['169.0 deg'] },
      objname: { type: 'string' },
    },
  },
  InclinetResponse: {
    type: 'object', required: ['status', 'galaxy', 'inclinations', 'rejection_likelihood'],
    properties: {
      status: { const: 'success' },
      galaxy: ref('InclinetGalaxy'),
      inclinations: ref('Inclinations'),
      rejection_likelihood: ref('Rejection'),
      image: { type: 'string', description: 'With ?image=1: the cutout the models saw, data:image/png;base64,…' },
    },
  },
  InclinetFailed: {
    type: 'object', required: ['status', 'message'],
    properties: { status: { const: 'failed' }, message: { type: 'string', examples: [notFoundMessage('PGC123456789')] } },
  },
  FileResponse: {
    type: 'object', required: ['status', 'filename', 'inclinations', 'rejection_likelihood'],
    properties: { status: { const: 'success' }, filename: { type: 'string' }, inclinations: ref('Inclinations'), rejection_likelihood: ref('Rejection') },
  },
  FileFailed: {
    type: 'object', required: ['status', 'filename', 'message'],
    properties: { status: { const: 'failed' }, filename: { type: ['string', 'null'] }, message: { type: 'string' }, code: { type: 'string' } },
  },
  Lookup: {
    type: 'object', required: ['status', 'pgc', 'objname', 'ra', 'dec', 'fov', 'pa'],
    properties: {
      dec: { type: 'number', description: 'degrees' }, fov: { type: 'number', description: 'arcminutes, 1.5 × D25' }, objname: { type: 'string' },
      pa: { type: 'number', description: 'degrees east of north' }, pgc: { type: ['integer', 'null'] }, ra: { type: 'number', description: 'degrees' }, status: { const: 'success' },
    },
  },
  LookupError: { type: 'object', required: ['status'], properties: { status: { const: 'error' } } },
  Failed: {
    type: 'object', required: ['status', 'code', 'message'],
    properties: { status: { const: 'failed' }, code: { type: 'string', description: 'An AsterismError code (E_…), a Fastify code (FST_…) or E_INTERNAL' }, message: { type: 'string' } },
  },
  SolveResult: {
    type: 'object', required: ['status', 'solved', 'quadsTried', 'hypothesesTested', 'starsUsed', 'timings'],
    description: "solve()'s result as JSON: the WCS's fields and FITS cards (wcs.fits), without its methods.",
    properties: {
      status: { const: 'success' },
      solved: { type: 'boolean' },
      reason: { type: 'string', description: "Why not, when not solved ('time limit', 'no match', …)" },
      center: { type: 'object', properties: { ra: { type: 'number' }, dec: { type: 'number' } } },
      pixelScale: { type: 'number', description: 'arcseconds per pixel' },
      rotation: { type: 'number', description: 'degrees east of north of the image +y axis' },
      parity: { enum: ['normal', 'flipped'] },
      fieldWidth: { type: 'number', description: 'degrees' },
      fieldHeight: { type: 'number', description: 'degrees' },
      wcs: { type: 'object', description: 'crval, crpix (0-based), cd, sip, and fits: the FITS keywords' },
      logOdds: { type: 'number' },
      matches: { type: 'array', items: { type: 'object' } },
      index: { type: 'string' },
      quadsTried: { type: 'integer' }, hypothesesTested: { type: 'integer' }, starsUsed: { type: 'integer' },
      timings: { type: 'object', additionalProperties: { type: 'number' } },
    },
  },
  FieldGalaxy: {
    type: 'object', required: ['pgc', 'name', 'ra', 'dec', 'x', 'y', 'd25Arcmin', 'd25Pixels', 'pa', 'paSource', 'inclinations', 'rejection_likelihood'],
    properties: {
      pgc: { type: ['integer', 'null'] }, name: { type: 'string' }, names: { type: 'array', items: { type: 'string' } }, source: { type: 'string' },
      ra: { type: 'number' }, dec: { type: 'number' }, x: { type: 'number', description: 'pixels, first pixel centre = 0' }, y: { type: 'number' },
      d25Arcmin: { type: 'number' }, d25Pixels: { type: 'number' }, minorArcmin: { type: ['number', 'null'] },
      pa: { type: 'number' }, paSource: { enum: ['catalog', 'measured'] }, cutoutFovArcmin: { type: 'number' },
      inclinations: ref('Inclinations'), rejection_likelihood: ref('Rejection'),
      cutout: { type: ['string', 'null'], description: 'The 128 × 128 cutout the models saw, PNG data URL' },
    },
  },
  FieldResult: {
    type: 'object', required: ['status', 'solved', 'width', 'height', 'galaxies', 'overlay', 'solution', 'timings'],
    properties: {
      status: { const: 'success' }, solved: { type: 'boolean' }, reason: { type: 'string' },
      width: { type: 'integer' }, height: { type: 'integer' },
      center: { type: ['object', 'null'] }, pixelScale: { type: ['number', 'null'] }, rotation: { type: ['number', 'null'] },
      parity: { enum: ['normal', 'flipped', null] }, fieldWidth: { type: ['number', 'null'] }, fieldHeight: { type: ['number', 'null'] },
      overlay: { type: ['string', 'null'], description: "The image with each galaxy's D25 ellipse, name and inclination, PNG data URL" },
      galaxies: { type: 'array', items: ref('FieldGalaxy') },
      solution: ref('SolveResult'),
      timings: { type: 'object', additionalProperties: { type: 'number' } },
    },
  },
  Progress: {
    type: 'object', required: ['progress'],
    properties: {
      progress: {
        type: 'object', required: ['stage', 'done', 'total', 'elapsedMs'],
        properties: {
          stage: { enum: ['solve', 'catalog', 'cutouts', 'inference', 'overlay'] },
          done: { type: 'integer' }, total: { type: 'integer' }, elapsedMs: { type: 'number' },
          solve: { type: 'object', description: "The solver's own report: stage, quadsTried, hypothesesTested, starsUsed, elapsedMs" },
        },
      },
    },
  },
  Health: {
    type: 'object', required: ['status', 'version', 'queues'],
    properties: {
      status: { const: 'ok' }, version: { type: 'string' }, uptimeSeconds: { type: 'integer' }, galaxies: { type: 'integer' },
      queues: { type: 'object', additionalProperties: { type: 'object', properties: { running: { type: 'integer' }, waiting: { type: 'integer' }, concurrency: { type: 'integer' }, maxWaiting: { type: 'integer' } } } },
    },
  },
};

/** The OpenAPI document for a server with these settings (limits appear in the descriptions). */
export function openApiDocument(settings: ServerSettings): Record<string, unknown> {
  const lookupBody = (key: string, schema: Schema) => ({ required: true, content: { 'application/json': { schema: { type: 'object', required: [key], properties: { [key]: schema } } } } });
  const lookupResponses = {
    '200': { description: "The catalogue's framing of the galaxy, or {\"status\": \"error\"}.", content: { 'application/json': { schema: { oneOf: [ref('Lookup'), ref('LookupError')] } } } },
    '400': json(ref('LookupError'), 'The body is not JSON.'),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'asterism',
      version: packageVersion(),
      description: 'Galaxy inclinations (IncliNET-compatible) and blind astrometric solving. IncliNET endpoints answer as IncliNET does; the others fail with {"status": "failed", "code", "message"} and an HTTP status.',
      license: { name: 'BSD-3-Clause', identifier: 'BSD-3-Clause' },
    },
    paths: {
      '/api/pgc/{pgc}': {
        get: {
          summary: 'Inclination of a galaxy by PGC number (IncliNET)', operationId: 'inclineByPgc',
          parameters: [{ name: 'pgc', in: 'path', required: true, schema: { type: 'string', examples: ['69327'] } }, imageQuery],
          responses: galaxyResponses,
        },
      },
      '/api/objname/{name}': {
        get: {
          summary: 'Inclination of a galaxy by name (IncliNET)', operationId: 'inclineByName',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', examples: ['NGC7331', 'M31'] } }, imageQuery],
          responses: galaxyResponses,
        },
      },
      '/api/coord': {
        get: {
          summary: 'Inclination of the galaxy at a position (IncliNET\'s page; not in its API)', operationId: 'inclineAt',
          parameters: [
            { name: 'ra', in: 'query', required: true, schema: { type: 'number' }, description: 'degrees' },
            { name: 'dec', in: 'query', required: true, schema: { type: 'number' }, description: 'degrees' },
            { name: 'fov', in: 'query', required: true, schema: { type: 'number' }, description: 'field of view, arcminutes (IncliNET: 1.5 × D25), at most 1800' },
            { name: 'pa', in: 'query', required: false, schema: { type: 'number' }, description: 'position angle of the major axis, degrees east of north (default 0)' },
            imageQuery,
          ],
          responses: galaxyResponses,
        },
      },
      '/api/file': {
        post: {
          summary: 'Inclination of an uploaded galaxy image (IncliNET)', operationId: 'inclineFile',
          requestBody: {
            required: true,
            content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: `A JPEG, PNG or GIF (checked by content and suffix), at most ${formatLimit(settings.uploadLimitBytes)}, the galaxy centred` } } } } },
          },
          responses: {
            '200': {
              description: `The inclination, or IncliNET's note: "${uploadNote(settings.uploadLimitBytes)}"`,
              content: { 'application/json': { schema: { oneOf: [ref('FileResponse'), ref('FileFailed')] } } },
            },
            '400': json(ref('FileFailed'), 'A JPEG, PNG or GIF signature the decoder cannot read (code E_IMAGE_FORMAT, E_IMAGE_TRUNCATED).'),
            ...LOAD_RESPONSES,
          },
        },
      },
      '/getPGC': { post: { summary: "A galaxy's catalogue framing by PGC number (IncliNET's page)", operationId: 'lookupPgc', requestBody: lookupBody('pgc', { type: ['integer', 'string'] }), responses: lookupResponses } },
      '/getObj': { post: { summary: "A galaxy's catalogue framing by name (IncliNET's page)", operationId: 'lookupName', requestBody: lookupBody('objname', { type: 'string' }), responses: lookupResponses } },
      '/api/solve': skyOperation(settings, 'Blind astrometric solve of a sky image', 'solve', 'SolveResult', 'The solution, or solved: false with the reason.'),
      '/api/field': skyOperation(settings, 'Solve a sky image, find its catalogued galaxies and their inclinations', 'evaluateField', 'FieldResult', 'The field: solution, galaxies with inclinations and cutouts, overlay; or solved: false with the reason.'),
      '/healthz': { get: { summary: 'Liveness, version and queue lengths', operationId: 'health', responses: { '200': json(ref('Health'), 'The server is up.') } } },
      '/api/docs': { get: { summary: 'This OpenAPI description', operationId: 'openapi', responses: { '200': { description: 'OpenAPI 3.1 JSON', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/': { get: { summary: 'The web page', operationId: 'page', responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
    },
    components: { schemas },
  };
}
