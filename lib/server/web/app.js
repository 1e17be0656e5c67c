/**
 * The asterism web page: one form to get a galaxy's inclination (by PGC number, name,
 * coordinates or an uploaded image) and one to solve a sky image and measure every galaxy in it.
 *
 * Plain DOM, no framework and no build step, so the server can ship this file as it is. Every
 * value from the server goes into the page through textContent or attributes, never innerHTML:
 * galaxy names come from user catalogues and must not become markup.
 */

/** Rejection likelihood (percent) from which a galaxy is flagged for a person to look at; the same bound as REJECTED_PERCENT in lib/render/field-overlay.ts, so the table agrees with the overlay's colours. */
const REJECT_PERCENT = 50;
/** The histogram's range and bin width, degrees: the models answer whole degrees from 45 (their floor) to 90 (edge-on). */
const HIST_MIN = 45;
const HIST_MAX = 90;
const HIST_BIN = 5;
/** Rotation per button press (degrees) and zoom factor per button press. */
const ROTATE_STEP = 15;
const ZOOM_STEP = 1.25;
const ZOOM_MIN = 0.25;
const ZOOM_MAX = 8;

const SVG_NS = 'http://www.w3.org/2000/svg';

// ─── DOM helpers ──────────────────────────────────────────────────────────────────────────────

/**
 * An element with attributes and children: h('td', { class: 'num' }, '72°'). Attribute values
 * of null, undefined or false are left out; true sets an empty attribute. Children may be
 * strings, nodes, or null (skipped), so callers can write optional parts inline.
 */
function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** As h(), in the SVG namespace. */
function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

const byId = (id) => document.getElementById(id);

// ─── Formatting ───────────────────────────────────────────────────────────────────────────────

/** A number with fixed decimals, or an en dash when there is none (a field may be absent). */
function fixed(value, digits) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** IncliNET's galaxy record writes quantities as strings with units ("339.2673 deg"); the lookup endpoints as numbers. */
function numberOf(value) {
  if (typeof value === 'number') return value;
  const parsed = Number.parseFloat(String(value ?? ''));
  return Number.isFinite(parsed) ? parsed : null;
}

/** Degrees as hours, minutes and seconds of right ascension: 10.6848 → "00h 42m 44.35s". */
function hms(deg) {
  const totalSeconds = Math.round((((deg % 360) + 360) % 360) * 240 * 100) / 100;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds - hours * 3600) / 60);
  const seconds = totalSeconds - hours * 3600 - minutes * 60;
  return `${pad(hours % 24)}h ${pad(minutes)}m ${seconds.toFixed(2).padStart(5, '0')}s`;
}

/** Degrees as signed degrees, arcminutes and arcseconds: 41.2687 → "+41° 16′ 07.3″". */
function dms(deg) {
  const sign = deg < 0 ? '−' : '+';
  const totalSeconds = Math.round(Math.abs(deg) * 3600 * 10) / 10;
  const degrees = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds - degrees * 3600) / 60);
  const seconds = totalSeconds - degrees * 3600 - minutes * 60;
  return `${sign}${pad(degrees)}° ${pad(minutes)}′ ${seconds.toFixed(1).padStart(4, '0')}″`;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** An angular size in degrees, in the unit a person would use for it. */
function angularSize(deg) {
  if (typeof deg !== 'number' || !Number.isFinite(deg)) return '–';
  return deg < 1 ? `${(deg * 60).toFixed(1)}′` : `${deg.toFixed(2)}°`;
}

// ─── Talking to the server ────────────────────────────────────────────────────────────────────

/** A failure to show a person: the server's message, or what went wrong on the way. */
class RequestError extends Error {}

/** Messages for HTTP statuses whose body says nothing useful (a proxy's page, an empty answer). */
const STATUS_MESSAGES = {
  413: 'The file is too large for the server.',
  429: 'Too many requests: wait a moment and try again.',
  503: 'The server is busy with other requests: try again in a moment.',
  504: 'The server took too long to answer.',
};

/**
 * Sends a request and returns its JSON body when it succeeded. Throws a RequestError with a
 * sentence for a person otherwise: the server's `message` for a failed answer (IncliNET's
 * endpoints answer failures with HTTP 200 and `"status": "failed"`), or a description of a
 * network failure or of an answer that is not JSON.
 */
async function requestJson(url, init = {}) {
  const response = await send(url, { headers: { accept: 'application/json' }, ...init });
  return checked(await jsonOf(response), response);
}

/**
 * As requestJson, for the solving endpoints' stream (application/x-ndjson): a line
 * `{"progress": …}` as the work goes on, each passed to `onProgress`, then the answer's line.
 * A failure before the work started comes as ordinary JSON and is read as such.
 */
async function requestProgress(url, init, onProgress) {
  const response = await send(url, { ...init, headers: { accept: 'application/x-ndjson' } });
  if (!(response.headers.get('content-type') ?? '').startsWith('application/x-ndjson') || !response.body) {
    return checked(await jsonOf(response), response);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  let answer = null;
  const take = (line) => {
    if (!line.trim()) return;
    let item;
    try {
      item = JSON.parse(line);
    } catch {
      throw new RequestError('The server sent an answer this page cannot read (a line that is not JSON).');
    }
    if (item && typeof item === 'object' && item.progress) onProgress(item.progress);
    else answer = item;
  };
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw new RequestError('The connection to the server broke before the answer came.');
    }
    if (chunk.done) break;
    pending += chunk.value;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      take(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
  }
  take(pending);
  if (answer === null) throw new RequestError('The server ended its answer before giving it.');
  return checked(answer, response);
}

async function send(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    throw new RequestError('Could not reach the server. Check that it is running and try again.');
  }
}

/** The JSON body of an answer, or a RequestError saying the answer cannot be read. */
async function jsonOf(response) {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new RequestError(STATUS_MESSAGES[response.status] ?? `The server sent an answer this page cannot read (${status}, not JSON).`);
  }
}

/**
 * The body when it is a success; a RequestError with the server's `message` otherwise
 * (IncliNET's endpoints answer failures with HTTP 200 and `"status": "failed"`).
 */
function checked(body, response) {
  const failed = !response.ok || body === null || typeof body !== 'object' || body.status === 'failed' || body.status === 'error';
  if (!failed) return body;
  const message = typeof body?.message === 'string' && body.message.trim() ? body.message.trim() : null;
  throw new RequestError(message ?? STATUS_MESSAGES[response.status] ?? `The request failed (HTTP ${response.status}).`);
}

// ─── Busy indicator and errors ────────────────────────────────────────────────────────────────

let busyTimer = null;
/** What the busy indicator says, before its count of seconds; progress reports change it. */
let busyLabel = '';

/**
 * Shows the busy indicator with a running count of seconds (a first inference loads 15 models
 * and a solve can take half a minute, so a person should see that something is happening) and
 * disables every submit button, so one request runs at a time.
 */
function startBusy(text) {
  const started = Date.now();
  const label = byId('busy-text');
  busyLabel = text;
  const tick = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    label.textContent = seconds >= 2 ? `${busyLabel} ${seconds} s` : busyLabel;
  };
  tick();
  busyTimer = setInterval(tick, 1000);
  byId('busy').hidden = false;
  byId('result').setAttribute('aria-busy', 'true');
  for (const button of document.querySelectorAll('form button[type="submit"]')) button.disabled = true;
}

/** Says what the running request is doing now (the seconds keep counting). */
function setBusyText(text) {
  busyLabel = text;
  const label = byId('busy-text');
  label.textContent = label.textContent.replace(/^.*?( \d+ s)?$/, (_, seconds) => `${text}${seconds ?? ''}`);
}

/** A field's progress report in words: which stage, and how far through it. */
function progressText(progress) {
  const of = progress.total > 1 ? ` ${progress.done} of ${progress.total}` : '';
  switch (progress.stage) {
    case 'solve': {
      const s = progress.solve;
      return s ? `Solving: ${s.quadsTried.toLocaleString('en')} quads tried, ${s.hypothesesTested.toLocaleString('en')} checked…` : 'Solving…';
    }
    case 'catalog': return 'Solved. Finding the catalogued galaxies in the field…';
    case 'cutouts': return `Cutting out galaxies${of}…`;
    case 'inference': return `Running the models on galaxies${of}…`;
    case 'overlay': return 'Drawing the overlay…';
    default: return 'Working…';
  }
}

function stopBusy() {
  clearInterval(busyTimer);
  busyTimer = null;
  byId('busy').hidden = true;
  byId('result').removeAttribute('aria-busy');
  for (const button of document.querySelectorAll('form button[type="submit"]')) button.disabled = false;
}

function showError(message, heading = 'Something went wrong.') {
  const box = byId('error');
  box.replaceChildren(h('strong', {}, heading), ' ', message);
  box.hidden = false;
}

function clearError() {
  const box = byId('error');
  box.replaceChildren();
  box.hidden = true;
}

/** Replaces what the result area shows; with nothing to show it is hidden. */
function showResult(...nodes) {
  const kept = nodes.filter(Boolean);
  const result = byId('result');
  result.replaceChildren(...kept);
  result.hidden = kept.length === 0;
}

/**
 * Runs one request with the busy indicator up; a RequestError (or anything else thrown) ends
 * up in the error box, never in the console alone.
 */
async function runRequest(busyText, work) {
  clearError();
  startBusy(busyText);
  try {
    await work();
  } catch (error) {
    showError(error instanceof RequestError ? error.message : `Unexpected error: ${error?.message ?? String(error)}`);
  } finally {
    stopBusy();
  }
}

/**
 * The first invalid input of a container, checked by the browser's own rules (required, min,
 * max, step), with a message naming its label; null when all are valid. The forms are
 * `novalidate` so the message goes to the page's error box like every other error.
 */
function validationError(container) {
  for (const input of container.querySelectorAll('input, select')) {
    if (input.disabled || input.checkValidity()) continue;
    const label = input.labels?.[0]?.childNodes[0]?.textContent?.trim() ?? input.name;
    return { input, message: `${label}: ${input.validationMessage}` };
  }
  return null;
}

/** Shows a validation error and puts the cursor where it is; true when there was one. */
function reportInvalid(container) {
  const invalid = validationError(container);
  if (!invalid) return false;
  showError(invalid.message, 'Check the form.');
  invalid.input.focus();
  return true;
}

// ─── Tabs ─────────────────────────────────────────────────────────────────────────────────────

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      byId(other.getAttribute('aria-controls')).hidden = !selected;
    }
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    // Arrow keys move between tabs, as the WAI-ARIA tabs pattern expects.
    tab.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  });
}

// ─── The galaxy form ──────────────────────────────────────────────────────────────────────────

/** The object URL of the uploaded galaxy image on show, revoked when another replaces it. */
let localImageUrl = null;

function selectedSource(form) {
  return form.elements.source.value;
}

/** Shows the inputs of the chosen way to name a galaxy; the hidden ones are disabled so validation and the request skip them. */
function showSourceFields(form) {
  const source = selectedSource(form);
  for (const fieldset of form.querySelectorAll('.source-fields')) {
    const active = fieldset.dataset.source === source;
    fieldset.hidden = !active;
    fieldset.disabled = !active;
  }
}

/**
 * The request for the chosen source: the URL, fetch options, a quick catalogue lookup to show
 * the galaxy's record before the slower inference answers (PGC and name only), and the local
 * image to show for an upload.
 */
function galaxyRequest(form) {
  const value = (name) => form.elements[name].value.trim();
  switch (selectedSource(form)) {
    case 'pgc': {
      const pgc = Number(value('pgc'));
      return { url: `/api/pgc/${pgc}?image=1`, lookup: { url: '/getPGC', body: { pgc } } };
    }
    case 'name': {
      const objname = value('objname');
      return { url: `/api/objname/${encodeURIComponent(objname)}?image=1`, lookup: { url: '/getObj', body: { objname } } };
    }
    case 'coord': {
      const query = new URLSearchParams({ ra: value('ra'), dec: value('dec'), fov: value('fov') });
      if (value('pa') !== '') query.set('pa', value('pa'));
      query.set('image', '1');
      return { url: `/api/coord?${query}` };
    }
    case 'file': {
      const file = form.elements.file.files[0];
      const body = new FormData();
      body.append('file', file, file.name);
      return { url: '/api/file', init: { method: 'POST', body }, file };
    }
    default:
      throw new RequestError('Choose how to find the galaxy.');
  }
}

/**
 * Shows the galaxy's catalogue record from the quick lookup while the inference runs. Best
 * effort: its failure says nothing the main request will not say better, so it is ignored.
 */
async function previewRecord(lookup, isCurrent) {
  try {
    const record = await requestJson(lookup.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(lookup.body),
    });
    if (isCurrent()) showResult(h('div', { class: 'galaxy-layout' }, h('div', { class: 'column summary' }, recordCard(record))));
  } catch {
    // Deliberately silent: see above.
  }
}

async function submitGalaxy(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearError();
  if (reportInvalid(form.querySelector('.source-fields:not([hidden])'))) return;
  const request = galaxyRequest(form);
  showResult();
  const busyText = request.file ? `Measuring ${request.file.name}…` : 'Fetching the image and running the models…';
  // Submit buttons stay disabled until this ends, so no other request can overtake this one.
  await runRequest(busyText, async () => {
    let answered = false;
    if (request.lookup) previewRecord(request.lookup, () => !answered);
    let body;
    try {
      body = await requestJson(request.url, request.init);
    } finally {
      answered = true;
    }
    showResult(galaxyResult(body, imageFor(request, body)));
  });
}

/** The image to show beside an answer: the cutout the server sent, or the uploaded file itself. */
function imageFor(request, body) {
  if (request.file) {
    if (localImageUrl) URL.revokeObjectURL(localImageUrl);
    localImageUrl = URL.createObjectURL(request.file);
    return { src: localImageUrl, alt: `Uploaded image ${request.file.name}`, caption: request.file.name, pixelated: false };
  }
  if (typeof body.image === 'string' && body.image.startsWith('data:image/')) {
    return { src: body.image, alt: 'The 128 × 128 cutout the models saw', caption: 'The 128 × 128 cutout the models saw, major axis horizontal.', pixelated: true };
  }
  return null;
}

// ─── Galaxy results ───────────────────────────────────────────────────────────────────────────

/** The entries of an IncliNET block other than its summary: [[group or model, value], …]. */
function entriesOf(block) {
  return Object.entries(block ?? {}).filter(([key]) => key !== 'summary');
}

/** Every regression model's answer, in the server's group order: [{ group, model, degrees }]. */
function modelInclinations(inclinations) {
  return entriesOf(inclinations).flatMap(([group, models]) =>
    entriesOf(models).map(([model, degrees]) => ({ group, model, degrees })));
}

/** Everything known about one galaxy's answer, as cards. */
function galaxyResult(body, image) {
  const inclinations = body.inclinations ?? {};
  const rejection = body.rejection_likelihood ?? {};
  // The numbers come first in the document (what a screen reader reads first, and what a phone
  // shows first); style.css places the image and chart to their left on wide screens.
  return h('div', { class: 'galaxy-layout', 'data-testid': 'galaxy-result' },
    h('div', { class: 'column summary' },
      body.galaxy ? recordCard(body.galaxy) : body.filename ? fileCard(body.filename) : null,
      inclinationSummaryCard(inclinations.summary),
      rejectionCard(rejection.summary)),
    h('div', { class: 'column visual' },
      image ? imageViewer({ id: 'image', title: 'Image', ...image }) : null,
      histogramCard(modelInclinations(inclinations).map((m) => m.degrees), inclinations.summary?.median)),
    h('div', { class: 'column tables' },
      inclinationTableCard(inclinations),
      rejectionTableCard(rejection)));
}

/** The galaxy's catalogue record, from IncliNET's `galaxy` block or a /getPGC, /getObj answer. */
function recordCard(galaxy) {
  const ra = numberOf(galaxy.ra), dec = numberOf(galaxy.dec);
  const fov = numberOf(galaxy.fov), pa = numberOf(galaxy.pa);
  const row = (term, ...detail) => [h('dt', {}, term), h('dd', {}, ...detail)];
  return h('section', { class: 'card', id: 'galaxy-record', 'data-testid': 'galaxy-record', 'aria-labelledby': 'galaxy-record-title' },
    h('h2', { id: 'galaxy-record-title' }, galaxy.objname ?? 'Galaxy'),
    h('dl', { class: 'record' },
      row('PGC', galaxy.pgc === null || galaxy.pgc === undefined ? 'none (a position, not a catalogued galaxy)' : String(galaxy.pgc)),
      row('RA', ra === null ? '–' : `${ra.toFixed(4)}°`, ra === null ? null : h('span', { class: 'muted' }, ` ${hms(ra)}`)),
      row('Dec', dec === null ? '–' : `${dec.toFixed(4)}°`, dec === null ? null : h('span', { class: 'muted' }, ` ${dms(dec)}`)),
      row('Field', fov === null ? '–' : `${fov.toFixed(2)}′`),
      row('PA', pa === null ? '–' : `${pa.toFixed(1)}°`)));
}

function fileCard(filename) {
  return h('section', { class: 'card', id: 'galaxy-record', 'data-testid': 'galaxy-record' },
    h('h2', {}, 'Uploaded image'),
    h('p', { class: 'filename' }, filename));
}

/** The ensemble's median inclination, large, with its mean and spread. */
function inclinationSummaryCard(summary) {
  return h('section', { class: 'card headline', 'aria-labelledby': 'median-title' },
    h('h2', { id: 'median-title' }, 'Inclination'),
    h('p', { class: 'big', id: 'median', 'data-testid': 'median' }, `${fixed(summary?.median, 1)}°`),
    h('p', { class: 'muted', id: 'mean-stdev', 'data-testid': 'mean-stdev' },
      `ensemble median · mean ${fixed(summary?.mean, 1)}° ± ${fixed(summary?.stdev, 1)}°`));
}

function isRejected(percent) {
  return typeof percent === 'number' && percent >= REJECT_PERCENT;
}

/** The rejection likelihood's median; from REJECT_PERCENT up it is highlighted with a note for a person. */
function rejectionCard(summary) {
  const rejected = isRejected(summary?.median);
  return h('section', { class: `card headline${rejected ? ' reject-high' : ''}`, id: 'rejection', 'data-testid': 'rejection', 'aria-labelledby': 'rejection-title' },
    h('h2', { id: 'rejection-title' }, 'Rejection likelihood'),
    h('p', { class: 'big', id: 'rejection-value' }, `${fixed(summary?.median, 1)} %`),
    h('p', { class: 'muted' }, `median of the classifiers · mean ${fixed(summary?.mean, 1)} % ± ${fixed(summary?.stdev, 1)} %`),
    rejected
      ? h('p', { class: 'reject-note', id: 'reject-note', 'data-testid': 'reject-note' },
        'The classifiers doubt this image (not a galaxy, face-on, too faint or cut off): a person should look at this galaxy before trusting its inclination.')
      : null);
}

function histogramCard(values, median) {
  return h('section', { class: 'card', 'aria-labelledby': 'histogram-title' },
    h('h2', { id: 'histogram-title' }, 'Ensemble distribution'),
    h('div', { id: 'histogram', 'data-testid': 'histogram' }, histogramSvg(values, median)),
    h('p', { class: 'muted' }, `${values.length} models, ${HIST_BIN}° bins; the line marks the median.`));
}

/**
 * An SVG histogram of the models' inclinations in HIST_BIN-degree bins from HIST_MIN to HIST_MAX
 * (90° falls in the last bin), with a line at the median. Drawn in a fixed viewBox and scaled by
 * CSS, so it needs no measuring of the page.
 */
function histogramSvg(values, median) {
  const bins = Math.round((HIST_MAX - HIST_MIN) / HIST_BIN);
  const counts = new Array(bins).fill(0);
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - HIST_MIN) / HIST_BIN)))]++;
  }
  const width = 360, height = 220;
  const margin = { left: 28, right: 14, top: 26, bottom: 38 };
  const plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom;
  // Headroom above the tallest bar for its count label, below the median's label.
  const top = Math.max(1, ...counts) * 1.18;
  const x = (deg) => margin.left + ((deg - HIST_MIN) / (HIST_MAX - HIST_MIN)) * plotW;
  const y = (count) => margin.top + plotH - (count / top) * plotH;
  const binW = plotW / bins;

  const gridLines = [];
  const most = Math.max(1, ...counts);
  for (let c = 0; c <= most; c += Math.max(1, Math.ceil(most / 4))) {
    gridLines.push(s('line', { class: 'grid-line', x1: margin.left, x2: width - margin.right, y1: y(c), y2: y(c) }),
      s('text', { class: 'axis-label', x: margin.left - 6, y: y(c) + 4, 'text-anchor': 'end' }, String(c)));
  }
  const bars = counts.map((count, i) => {
    const from = HIST_MIN + i * HIST_BIN;
    return s('g', {},
      s('rect', { class: 'bar', x: x(from) + 2, y: y(count), width: binW - 4, height: Math.max(0, margin.top + plotH - y(count)), 'data-count': count, rx: 2 },
        s('title', {}, `${from}–${from + HIST_BIN}°: ${count} model${count === 1 ? '' : 's'}`)),
      count > 0 ? s('text', { class: 'bar-label', x: x(from) + binW / 2, y: y(count) - 5, 'text-anchor': 'middle' }, String(count)) : null);
  });
  const ticks = [];
  for (let deg = HIST_MIN; deg <= HIST_MAX; deg += HIST_BIN) {
    ticks.push(s('text', { class: 'axis-label', x: x(deg), y: height - margin.bottom + 17, 'text-anchor': 'middle' }, `${deg}°`));
  }
  const hasMedian = typeof median === 'number' && Number.isFinite(median);
  const mx = hasMedian ? x(Math.min(HIST_MAX, Math.max(HIST_MIN, median))) : 0;
  return s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'histogram',
    'aria-label': `Histogram of ${values.length} model inclinations${hasMedian ? `, median ${median}°` : ''}`,
  },
  gridLines,
  bars,
  s('line', { class: 'axis', x1: margin.left, x2: width - margin.right, y1: margin.top + plotH, y2: margin.top + plotH }),
  ticks,
  s('text', { class: 'axis-title', x: margin.left + plotW / 2, y: height - 4, 'text-anchor': 'middle' }, 'inclination (degrees)'),
  hasMedian
    ? s('g', { class: 'median-marker', 'data-testid': 'median-marker' },
      s('line', { x1: mx, x2: mx, y1: margin.top - 6, y2: margin.top + plotH }),
      s('text', { x: mx, y: margin.top - 10, 'text-anchor': mx > width - 60 ? 'end' : mx < margin.left + 40 ? 'start' : 'middle' }, `median ${median}°`))
    : null);
}

/** Each group's models and their answers, degrees. */
function inclinationTableCard(inclinations) {
  const groups = entriesOf(inclinations);
  return h('section', { class: 'card', 'aria-labelledby': 'inclination-table-title' },
    h('h2', { id: 'inclination-table-title' }, 'Per-model inclinations'),
    h('div', { class: 'table-scroll' },
      h('table', { id: 'inclination-table', 'data-testid': 'inclination-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Inclination'))),
        groups.map(([group, models]) => h('tbody', {},
          h('tr', { class: 'group-row' }, h('th', { scope: 'rowgroup', colspan: 2 }, group.replace(/_/g, ' '))),
          entriesOf(models).map(([model, degrees]) =>
            h('tr', {}, h('td', { class: 'model' }, model), h('td', { class: 'num' }, `${fixed(degrees, 0)}°`))))))));
}

/** Each binary classifier's rejection likelihood, percent, with a bar to compare them at a glance. */
function rejectionTableCard(rejection) {
  return h('section', { class: 'card', 'aria-labelledby': 'rejection-table-title' },
    h('h2', { id: 'rejection-table-title' }, 'Per-model rejection likelihood'),
    h('div', { class: 'table-scroll' },
      h('table', { id: 'rejection-table', 'data-testid': 'rejection-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Classifier'), h('th', { scope: 'col', class: 'num' }, 'Likelihood'))),
        h('tbody', {}, entriesOf(rejection).map(([model, percent]) =>
          h('tr', { class: isRejected(percent) ? 'reject-high' : null },
            h('td', { class: 'model' }, model),
            h('td', { class: 'num' },
              meter(percent),
              `${fixed(percent, 2)} %`)))))));
}

/**
 * A small bar of a percentage. Its width is set through the CSSOM rather than a style
 * attribute, which a Content-Security-Policy without 'unsafe-inline' would block.
 */
function meter(percent) {
  const fillBar = h('span');
  fillBar.style.width = `${Math.max(0, Math.min(100, Number(percent) || 0))}%`;
  return h('span', { class: 'meter', 'aria-hidden': 'true' }, fillBar);
}

// ─── Image viewer: rotate and zoom ────────────────────────────────────────────────────────────

/**
 * An image with rotate (±ROTATE_STEP buttons and a slider), zoom (+, −, reset) and drag-to-pan,
 * all as a CSS transform on the <img>: the pixels stay as the server sent them. Controls get ids
 * from the image's id (`image-rotate-left`, …) so two viewers can share a page.
 */
function imageViewer({ id, title, src, alt, caption, pixelated }) {
  const view = { rotation: 0, zoom: 1, panX: 0, panY: 0 };
  const img = h('img', { id, 'data-testid': id, src, alt, class: pixelated ? 'pixelated' : null, draggable: 'false' });
  const readout = h('output', { class: 'viewer-readout', id: `${id}-readout`, 'aria-live': 'polite' });
  const slider = h('input', { type: 'range', id: `${id}-rotation`, 'data-testid': `${id}-rotation`, min: -180, max: 180, step: 1, value: 0 });

  const apply = () => {
    img.style.transform = `translate(${view.panX}px, ${view.panY}px) rotate(${view.rotation}deg) scale(${view.zoom})`;
    slider.value = String(view.rotation);
    readout.textContent = `${view.rotation}° · ${Math.round(view.zoom * 100)} %`;
  };
  // Rotation kept in (−180, 180] so the slider can always show it.
  const rotateTo = (deg) => {
    view.rotation = ((((Math.round(deg) + 180) % 360) + 360) % 360) - 180 || 0;
    if (view.rotation === -180) view.rotation = 180;
    apply();
  };
  const zoomBy = (factor) => {
    view.zoom = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, view.zoom * factor));
    apply();
  };
  const reset = () => {
    Object.assign(view, { rotation: 0, zoom: 1, panX: 0, panY: 0 });
    apply();
  };
  slider.addEventListener('input', () => rotateTo(Number(slider.value)));

  const button = (suffix, label, text, action) =>
    h('button', { type: 'button', class: 'icon', id: `${id}-${suffix}`, 'data-testid': `${id}-${suffix}`, 'aria-label': label, title: label, onclick: action }, text);

  const stage = h('div', { class: 'viewer-stage' }, img);
  // The stage takes the image's shape (a sky frame is rarely square), so no black bands.
  img.addEventListener('load', () => {
    if (img.naturalWidth && img.naturalHeight) stage.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`;
  });
  enablePanning(stage, view, apply);
  apply();

  return h('section', { class: 'card viewer', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    stage,
    caption ? h('p', { class: 'muted caption' }, caption) : null,
    h('div', { class: 'viewer-controls', role: 'group', 'aria-label': `${title}: rotate and zoom` },
      button('rotate-left', `Rotate ${ROTATE_STEP}° anticlockwise`, `⟲ ${ROTATE_STEP}°`, () => rotateTo(view.rotation - ROTATE_STEP)),
      h('label', { class: 'visually-hidden', for: `${id}-rotation` }, 'Rotation, degrees'),
      slider,
      button('rotate-right', `Rotate ${ROTATE_STEP}° clockwise`, `⟳ ${ROTATE_STEP}°`, () => rotateTo(view.rotation + ROTATE_STEP))),
    h('div', { class: 'viewer-controls', role: 'group', 'aria-label': `${title}: zoom` },
      button('zoom-out', 'Zoom out', '−', () => zoomBy(1 / ZOOM_STEP)),
      button('zoom-in', 'Zoom in', '+', () => zoomBy(ZOOM_STEP)),
      button('reset', 'Reset rotation and zoom', 'Reset', reset),
      readout));
}

/** Dragging the image moves it, so a zoomed-in part of a large field can be brought into view. */
function enablePanning(stage, view, apply) {
  let start = null;
  stage.addEventListener('pointerdown', (event) => {
    start = { x: event.clientX - view.panX, y: event.clientY - view.panY };
    stage.setPointerCapture(event.pointerId);
    stage.classList.add('dragging');
  });
  stage.addEventListener('pointermove', (event) => {
    if (!start) return;
    view.panX = event.clientX - start.x;
    view.panY = event.clientY - start.y;
    apply();
  });
  const end = () => {
    start = null;
    stage.classList.remove('dragging');
  };
  stage.addEventListener('pointerup', end);
  stage.addEventListener('pointercancel', end);
}

// ─── The sky-image form ───────────────────────────────────────────────────────────────────────

async function submitField(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearError();
  if (reportInvalid(form)) return;
  // The solver takes a scale range, never one end of it.
  if ((form.elements.scale_low.value === '') !== (form.elements.scale_high.value === '')) {
    showError('Give both ends of the scale range, or neither.', 'Check the form.');
    return;
  }
  const body = fieldFormData(form);
  showResult();
  await runRequest('Solving the field and measuring its galaxies…', async () => {
    const answer = await requestProgress('/api/field', { method: 'POST', body }, (progress) => setBusyText(progressText(progress)));
    showResult(fieldResult(answer));
  });
}

/** The multipart body: the image, and only the hints a person filled in (the server treats an empty field as a value). */
function fieldFormData(form) {
  const body = new FormData();
  const file = form.elements.image.files[0];
  body.append('image', file, file.name);
  const hasScale = form.elements.scale_low.value !== '';
  for (const name of ['scale_low', 'scale_high', 'ra', 'dec', 'radius']) {
    const value = form.elements[name].value.trim();
    if (value !== '') body.append(name, value);
  }
  if (hasScale) body.append('scale_units', form.elements.scale_units.value);
  return body;
}

// ─── Field results ────────────────────────────────────────────────────────────────────────────

function fieldResult(body) {
  if (!body.solved) {
    return h('section', { class: 'card notice', id: 'unsolved', 'data-testid': 'unsolved', role: 'status' },
      h('h2', {}, 'Not solved'),
      h('p', { id: 'unsolved-reason' }, `The solver found no position for this image: ${body.reason ?? 'no reason given'}.`),
      h('p', {}, 'Hints for the scale or the position, or an image with more stars, may help.'));
  }
  const galaxies = Array.isArray(body.galaxies) ? body.galaxies : [];
  const detail = h('div', { id: 'field-galaxy', 'data-testid': 'field-galaxy' });
  const selectGalaxy = (galaxy, row) => {
    for (const other of row.parentElement.children) other.classList.toggle('selected', other === row);
    detail.replaceChildren(fieldGalaxyDetail(galaxy));
    // The answer appears below a table that may fill the screen: bring it into view.
    detail.scrollIntoView({ block: 'start', behavior: 'smooth' });
  };
  return h('div', { class: 'field-layout', 'data-testid': 'field-result' },
    fieldSummaryCard(body),
    body.overlay ? imageViewer({ id: 'overlay', title: 'Solved field', src: body.overlay, alt: 'The image with each galaxy’s D25 ellipse, name and median inclination', caption: 'Each catalogued galaxy’s D25 ellipse, name and median inclination; red: high rejection likelihood.', pixelated: false }) : null,
    fieldTableCard(galaxies, selectGalaxy),
    detail);
}

function fieldSummaryCard(body) {
  const row = (term, detail) => [h('dt', {}, term), h('dd', {}, detail)];
  const center = body.center ?? {};
  return h('section', { class: 'card', id: 'field-summary', 'data-testid': 'field-summary', 'aria-labelledby': 'field-summary-title' },
    h('h2', { id: 'field-summary-title' }, 'Solution'),
    h('dl', { class: 'record' },
      row('Centre RA', typeof center.ra === 'number' ? `${center.ra.toFixed(4)}° (${hms(center.ra)})` : '–'),
      row('Centre Dec', typeof center.dec === 'number' ? `${center.dec.toFixed(4)}° (${dms(center.dec)})` : '–'),
      row('Scale', `${fixed(body.pixelScale, 3)} ″/px`),
      row('Rotation', `${fixed(body.rotation, 2)}° (up is east of north)`),
      row('Parity', body.parity ?? '–'),
      row('Field', `${angularSize(body.fieldWidth)} × ${angularSize(body.fieldHeight)}`),
      row('Image', body.width && body.height ? `${body.width} × ${body.height} px` : '–'),
      row('Galaxies', String((body.galaxies ?? []).length))));
}

/** The galaxies found; choosing one shows its cutout and every model's answer below. */
function fieldTableCard(galaxies, onSelect) {
  if (galaxies.length === 0) {
    return h('section', { class: 'card galaxies' }, h('h2', {}, 'Galaxies in the field'),
      h('p', { class: 'muted', id: 'field-empty' }, 'No catalogued galaxy large enough to measure lies in this field.'));
  }
  const rows = galaxies.map((galaxy, i) => {
    const rejection = galaxy.rejection_likelihood?.summary?.median;
    const row = h('tr', { class: isRejected(rejection) ? 'reject-high' : null });
    const choose = h('button', { type: 'button', class: 'link', onclick: () => onSelect(galaxy, row), 'data-index': i }, galaxy.name ?? `Galaxy ${i + 1}`);
    row.append(
      h('td', {}, choose),
      h('td', { class: 'num' }, galaxy.pgc ?? '–'),
      h('td', { class: 'num' }, fixed(galaxy.d25Arcmin, 2)),
      h('td', { class: 'num' }, `${fixed(galaxy.pa, 1)}°`, galaxy.paSource === 'measured' ? h('span', { class: 'badge', title: 'measured on the image: the catalogue has no PA' }, 'measured') : null),
      h('td', { class: 'num' }, `${fixed(galaxy.inclinations?.summary?.median, 1)}°`),
      h('td', { class: 'num' }, `${fixed(rejection, 1)} %`));
    return row;
  });
  return h('section', { class: 'card galaxies', 'aria-labelledby': 'field-table-title' },
    h('h2', { id: 'field-table-title' }, 'Galaxies in the field'),
    h('p', { class: 'muted' }, 'Choose a galaxy to see its cutout and every model’s answer.'),
    h('div', { class: 'table-scroll' },
      h('table', { id: 'field-table', 'data-testid': 'field-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'PGC'), h('th', { scope: 'col', class: 'num' }, 'D25 (′)'),
          h('th', { scope: 'col', class: 'num' }, 'PA'), h('th', { scope: 'col', class: 'num' }, 'Inclination'), h('th', { scope: 'col', class: 'num' }, 'Rejection'))),
        h('tbody', {}, rows))));
}

/** One galaxy of a solved field, shown as a lookup's answer is. */
function fieldGalaxyDetail(galaxy) {
  const record = { objname: galaxy.name, pgc: galaxy.pgc, ra: galaxy.ra, dec: galaxy.dec, fov: galaxy.cutoutFovArcmin ?? galaxy.d25Arcmin * 1.5, pa: galaxy.pa };
  const image = typeof galaxy.cutout === 'string'
    ? { src: galaxy.cutout, alt: `Cutout of ${galaxy.name}`, caption: 'The 128 × 128 cutout the models saw, major axis horizontal.', pixelated: true }
    : null;
  return galaxyResult({ galaxy: record, inclinations: galaxy.inclinations, rejection_likelihood: galaxy.rejection_likelihood }, image);
}

// ─── Start ────────────────────────────────────────────────────────────────────────────────────

function start() {
  setupTabs();
  const galaxyForm = byId('galaxy-form');
  galaxyForm.addEventListener('change', (event) => {
    if (event.target.name === 'source') showSourceFields(galaxyForm);
  });
  showSourceFields(galaxyForm);
  galaxyForm.addEventListener('submit', submitGalaxy);
  byId('field-form').addEventListener('submit', submitField);
}

start();
