// The playground page: reads the controls, asks /api/probe for the figures of that network and
// draws them; starts, pauses and resets a live training session and draws its event stream.
// window.playground keeps what the page last drew and how long it took, for the browser tests.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
/** Plasma, from dark blue (least gradient) to yellow (most): stops at u = 0, 1/4, 1/2, 3/4, 1. */
const PALETTE = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];

const playground = window.playground = {
  probe: null,        // the last figures drawn
  drawn: 0,           // how many probes have been drawn
  redrawMillis: [],   // per change: from the control's change to the first picture drawn (all but the Jacobians)
  fullMillis: [],     // per change: to the picture with the Jacobian norms
  generation: 0,      // counts the changes of the controls
  complete: 0,        // the last change whose whole picture is drawn
  failed: 0,          // the last change the server refused
  updates: [],        // arrival times (ms) of live-training events
  lastUpdate: null,   // the last live-training event
};

const $ = (id) => document.getElementById(id);

/** The colour of u in [0, 1] on the palette, as rgb(r, g, b); grey for a value with no place on the scale. */
function colour(u) {
  if (!Number.isFinite(u)) return 'rgb(136, 136, 136)';
  const x = Math.min(1, Math.max(0, u)) * (PALETTE.length - 1);
  const i = Math.min(PALETTE.length - 2, Math.floor(x));
  const f = x - i;
  const c = PALETTE[i].map((a, k) => Math.round(a + f * (PALETTE[i + 1][k] - a)));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Where v falls between lo and hi on a log scale, 0 to 1 (1 when lo = hi); NaN for a value that is not positive. */
function logPosition(v, lo, hi) {
  if (!(v > 0) || !Number.isFinite(v)) return NaN;
  if (hi <= lo) return 1;
  return (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
}

function positiveRange(rows) {
  let lo = Infinity, hi = -Infinity;
  for (const row of rows) for (const v of row) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo <= hi ? [lo, hi] : [1, 1];
}

const fmt = (v) => typeof v === 'number' ? (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3)) : String(v);

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// ------------------------------------------------------------------ the controls and the probe

function query() {
  const [cell, activation] = $('cell').value.split('/');
  const q = new URLSearchParams({ cell, activation, length: $('length').value, hidden: $('hidden').value,
    layers: $('layers').value, init: $('init').value, seed: $('seed').value });
  q.set($('size-kind').value, $('size').value);
  return q;
}

let inflight = false;
let pending = null;
let full = null;       // the AbortController of the Jacobians' request under way, if any
let fullTimer = null;  // the wait before asking for them

/**
 * Asks for the figures of the controls' network: where the Jacobian norms cost little, the whole
 * document at once; otherwise in two parts, first everything but the Jacobian norms, which come
 * in a fraction of the time and are drawn at once, then, once the controls have been still for a
 * moment, the whole document with them. A change while the first request runs is sent once it
 * has answered; a change drops a request for the second part under way.
 */
function changed(changedAt) {
  playground.generation++;
  if (full) { full.abort(); full = null; }
  clearTimeout(fullTimer);
  probe(changedAt);
}

async function probe(changedAt) {
  if (inflight) { pending = changedAt; return; }
  inflight = true;
  const generation = playground.generation;
  const q = query();
  $('download-figures').href = '/api/probe?' + q;
  const whole = jacobiansCheap(q);
  try {
    const response = await fetch('/api/probe?' + q + (whole ? '' : '&jacobians=false'));
    const body = await response.json();
    if (!response.ok) {
      showError(body.error + (body.field ? ` (field: ${body.field})` : ''));
      playground.failed = generation;
    } else {
      showError(null);
      draw(body);
      const millis = performance.now() - changedAt;
      playground.redrawMillis.push(millis);
      if (whole) {
        drewWhole(millis, generation);
      } else if (pending === null) {
        fullTimer = setTimeout(() => probeJacobians(q, changedAt, generation), 150);
      }
    }
  } catch (e) {
    showError('the server did not answer: ' + e.message);
  } finally {
    inflight = false;
    if (pending !== null) { const at = pending; pending = null; probe(at); }
  }
}

/**
 * Whether the Jacobian norms cost little enough to come with the first answer. Their cost is the
 * backward pass that forms every product, 2·S·G·H² operations per step (S = 2H for the LSTM's
 * (h, c), else H; G gate blocks; the IndRNN's are diagonal): below 1 GFLOP, a few milliseconds on
 * the server, the page asks for the whole document at once; above, it draws the rest first and
 * asks for the Jacobians once the controls have been still for 150 ms, so that a dragged slider
 * does not queue long computations the page would throw away.
 */
function jacobiansCheap(q) {
  const cell = q.get('cell'), h = Number(q.get('hidden')), t = Number(q.get('length'));
  if (cell === 'indrnn') return true;
  const gates = { rnn: 1, gru: 3, lstm: 4 }[cell] || 1;
  const state = cell === 'lstm' ? 2 * h : h;
  return 2 * state * gates * h * h * t < 1e9;
}

/** The whole document, Jacobians included, drawn if no control has changed since it was asked for. */
async function probeJacobians(q, changedAt, generation) {
  const controller = full = new AbortController();
  try {
    const response = await fetch('/api/probe?' + q, { signal: controller.signal });
    const body = await response.json();
    if (response.ok && generation === playground.generation) {
      draw(body);
      drewWhole(performance.now() - changedAt, generation);
    }
  } catch (e) {
    if (e.name !== 'AbortError') showError('the server did not answer: ' + e.message);
  } finally {
    if (full === controller) full = null;
  }
}

/** Records that the whole picture of control change `generation` is drawn, `millis` after the change. */
function drewWhole(millis, generation) {
  playground.fullMillis.push(millis);
  playground.complete = generation;
}

function showError(message) {
  $('error').hidden = !message;
  $('error').textContent = message || '';
}

function draw(figures) {
  playground.probe = figures;
  drawUnrolled(figures);
  drawVerdict(figures);
  drawDecay(figures);
  drawSpectrum(figures);
  playground.drawn++;
}

// ------------------------------------------------------------------ the unrolled network

function drawUnrolled(f) {
  const rows = f.gradientNormsByLayer; // [L][T], row L-1 the top layer
  drawRows($('unrolled'), rows, rows.map((_, k) => `layer ${k}`), 'scale-probe',
      `step 0 gets ${fmt(f.ratio)} of the last step's gradient`);
}

/**
 * Rows of cells, the last row of {@code rows} on top, each cell coloured by its value on the log
 * scale of all of them, with the value in its title; then the steps and the colour scale.
 */
function drawRows(svg, rows, labels, scaleId, caption) {
  svg.replaceChildren();
  const T = rows[0].length, L = rows.length;
  const left = 64, rowHeight = 34, top = 6, width = WIDTH - left - 8;
  const w = width / T, gap = w > 4 ? 1 : 0;
  const [lo, hi] = positiveRange(rows);
  const height = top + L * rowHeight + 58;
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  svg.setAttribute('height', height);
  for (let k = L - 1; k >= 0; k--) {
    const y = top + (L - 1 - k) * rowHeight;
    el('text', { x: 0, y: y + rowHeight / 2 + 4, class: 'label', 'font-size': 12 }, svg).textContent = labels[k];
    for (let t = 0; t < T; t++) {
      const v = rows[k][t];
      const r = el('rect', { class: 'cell', x: left + t * w, y, width: Math.max(w - gap, 0.5), height: rowHeight - 6,
        fill: colour(logPosition(v, lo, hi)), 'data-layer': k, 'data-step': t, 'data-value': v }, svg);
      el('title', {}, r).textContent = `${labels[k]}, step ${t}: ‖dL/dh_t‖ = ${fmt(v)}`;
    }
  }
  const axisY = top + L * rowHeight + 6;
  el('text', { x: left, y: axisY, 'font-size': 11 }, svg).textContent = 'step 0';
  el('text', { x: left + width, y: axisY, 'font-size': 11, 'text-anchor': 'end' }, svg).textContent = `step ${T - 1}`;
  // the colour scale
  const defs = el('defs', {}, svg);
  const gradient = el('linearGradient', { id: scaleId }, defs);
  PALETTE.forEach((c, i) => el('stop', { offset: i / (PALETTE.length - 1), 'stop-color': `rgb(${c.join(',')})` }, gradient));
  const sy = axisY + 14;
  el('rect', { x: left, y: sy, width: 240, height: 10, fill: `url(#${scaleId})` }, svg);
  el('text', { x: left - 4, y: sy + 9, 'font-size': 11, 'text-anchor': 'end' }, svg).textContent = fmt(lo);
  el('text', { x: left + 246, y: sy + 9, 'font-size': 11 }, svg).textContent = `${fmt(hi)}   ‖dL/dh_t‖, log scale; ${caption}`;
}

$('unrolled').addEventListener('mouseover', (e) => {
  const r = e.target.closest('rect.cell');
  if (r) $('hover-readout').textContent = r.querySelector('title').textContent;
});

// ------------------------------------------------------------------ the verdict

function drawVerdict(f) {
  const h = f.horizon;
  $('horizon').textContent = h
    ? `Memory horizon: ${h.reached ? '' : 'at least '}${h.steps} steps, the distance back at which the gradient falls below ${h.threshold * 100}% of its size at the last step${h.reached ? '' : ' (it never does within the sequence)'}.`
    : 'Memory horizon: none (no finite gradient reaches the last step).';
  $('verdict').replaceChildren(...f.verdict.findings.map((x) => {
    const li = document.createElement('li');
    li.textContent = x.words;
    return li;
  }));
}

// ------------------------------------------------------------------ the decay curve

let decayChart = null;

/** log10 of every positive, finite value; null (a gap) for the others. */
const log10s = (a) => a.map((v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? Math.log10(v) : null));

/**
 * The curves as log10 on a linear axis labelled in powers of ten: uPlot's own log scale fails on
 * ranges of many decades (a vanishing gradient spans 20 or more), this does not.
 */
function drawDecay(f) {
  const steps = f.gradientNorms.map((_, t) => t);
  const power = (u, v) => (v == null ? '--' : fmt(10 ** v));
  const data = [steps, log10s(f.gradientNorms)];
  const series = [{ label: 'step' }, { label: '‖dL/dh_t‖', stroke: '#1f77b4', width: 2, value: power }];
  if (f.jacobianNorms) {
    data.push(log10s(f.jacobianNorms));
    series.push({ label: '‖∂s_T-1/∂s_k‖₂', stroke: '#d62728', width: 2, value: power });
  }
  if (f.bound.applicable) {
    data.push(log10s(f.bound.values));
    series.push({ label: 'bound (γ_W γ_φ)^(T-1-k)', stroke: '#7f7f7f', dash: [6, 4], width: 1.5, value: power });
  }
  $('decay-status').textContent = f.jacobianNorms ? '' : 'The Jacobian norms are being computed…';
  if (decayChart) decayChart.destroy();
  decayChart = new uPlot({ width: WIDTH, height: 300, series, scales: { x: { time: false } },
    axes: [{ label: 'step' }, { label: 'norm (log scale)', size: 70, incrs: [1, 2, 5, 10, 20, 50, 100],
      values: (u, ticks) => ticks.map((v) => `1e${v}`) }] }, data, $('decay'));
}

// ------------------------------------------------------------------ the spectrum

const GATE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

function drawSpectrum(f) {
  const svg = $('spectrum');
  svg.replaceChildren();
  const height = 320, pad = 36, half = WIDTH / 2;
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  svg.setAttribute('height', height);
  const top = f.spectra[f.spectra.length - 1];
  // singular values, descending, against 1
  const sv = top.singularValues;
  const maxSv = Math.max(1.1, ...sv) * 1.05;
  const sx = (i) => pad + (i / Math.max(1, sv.length - 1)) * (half - 2 * pad);
  const sy = (v) => height - pad - (v / maxSv) * (height - 2 * pad);
  el('line', { x1: pad, y1: sy(1), x2: half - pad, y2: sy(1), stroke: '#888', 'stroke-dasharray': '5 4' }, svg);
  el('text', { x: half - pad, y: sy(1) - 4, 'font-size': 11, 'text-anchor': 'end' }, svg).textContent = '1';
  el('polyline', { points: sv.map((v, i) => `${sx(i)},${sy(v)}`).join(' '), fill: 'none', stroke: '#1f77b4', 'stroke-width': 2 }, svg);
  el('text', { x: pad, y: 16, 'font-size': 12 }, svg).textContent =
      `singular values of W_hh, layer ${top.layer}: largest ${fmt(sv[0])}, smallest ${fmt(sv[sv.length - 1])}`;
  // eigenvalues in the complex plane
  let radius = 1.2;
  for (const b of top.blocks) b.eigenvalueReal.forEach((re, i) => { radius = Math.max(radius, 1.08 * Math.hypot(re, b.eigenvalueImag[i])); });
  const cx = half + half / 2, cy = height / 2, scale = (height / 2 - pad) / radius;
  el('line', { x1: cx - radius * scale, y1: cy, x2: cx + radius * scale, y2: cy, stroke: '#ccc' }, svg);
  el('line', { x1: cx, y1: cy - radius * scale, x2: cx, y2: cy + radius * scale, stroke: '#ccc' }, svg);
  el('circle', { cx, cy, r: scale, fill: 'none', stroke: '#888', 'stroke-dasharray': '5 4' }, svg);
  top.blocks.forEach((b, g) => {
    b.eigenvalueReal.forEach((re, i) => {
      const dot = el('circle', { class: 'eigenvalue', cx: cx + re * scale, cy: cy - b.eigenvalueImag[i] * scale, r: 2.5,
        fill: GATE_COLOURS[g % GATE_COLOURS.length] }, svg);
      el('title', {}, dot).textContent = `${b.gate} block: ${fmt(re)} ${b.eigenvalueImag[i] < 0 ? '-' : '+'} ${fmt(Math.abs(b.eigenvalueImag[i]))}i`;
    });
  });
  el('text', { x: half + pad, y: 16, 'font-size': 12 }, svg).textContent = 'eigenvalues, spectral radius per block: ' + top.blocks.map((b) =>
    `${b.gate} ${fmt(b.spectralRadius)}`).join(', ');
}

// ------------------------------------------------------------------ live training

let session = null;   // the session's id
let events = null;    // its EventSource
let lossChart = null;
let lossData = [[], [], []];
let heatRows = [];
let lastSample = -1;
let lastHorizon = null; // [steps, at training step]: not every sample measures it

function taskSettings() {
  const task = $('task').value;
  const [cell, activation] = $('cell').value.split('/');
  const body = { task, cell, activation, hidden: Number($('hidden').value), layers: Number($('layers').value),
    init: $('init').value, seed: Number($('seed').value) };
  body[task === 'copy' ? 'delay' : 'length'] = Number($('task-size').value);
  return body;
}

$('task').addEventListener('change', () => {
  const copy = $('task').value === 'copy';
  $('task-size-label').textContent = copy ? 'delay' : 'length';
  $('task-size').value = copy ? 20 : 100;
});

$('start').addEventListener('click', async () => {
  resetTraining();
  const response = await fetch('/api/train', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(taskSettings()) });
  const body = await response.json();
  if (!response.ok) { $('training-status').textContent = body.error; return; }
  session = body.id;
  $('pause').disabled = false;
  $('reset').disabled = false;
  $('download-weights').hidden = false;
  $('download-weights').href = `/api/train/${session}/weights`;
  events = new EventSource(`/api/train/${session}/events`);
  events.addEventListener('update', (e) => onUpdate(JSON.parse(e.data)));
});

$('pause').addEventListener('click', async () => {
  if (!session) return;
  const paused = $('pause').textContent === 'Resume';
  await fetch(`/api/train/${session}/${paused ? 'resume' : 'pause'}`, { method: 'POST' });
  $('pause').textContent = paused ? 'Pause' : 'Resume';
});

$('reset').addEventListener('click', resetTraining);

/** Stops the session, if any, and clears its charts. */
function resetTraining() {
  if (events) events.close();
  if (session) fetch(`/api/train/${session}/stop`, { method: 'POST' });
  events = null;
  session = null;
  $('pause').disabled = true;
  $('pause').textContent = 'Pause';
  $('reset').disabled = true;
  lossData = [[], [], []];
  heatRows = [];
  lastSample = -1;
  lastHorizon = null;
  if (lossChart) { lossChart.destroy(); lossChart = null; }
  const c = $('heatmap');
  c.getContext('2d').clearRect(0, 0, c.width, c.height);
  $('training-unrolled').replaceChildren();
}

window.addEventListener('pagehide', () => { if (session) navigator.sendBeacon(`/api/train/${session}/stop`); });

function onUpdate(u) {
  playground.updates.push(performance.now());
  playground.lastUpdate = u;
  const held = u.heldOut;
  $('training-status').textContent = `${u.state}: step ${u.step} of ${u.steps}, training loss ${fmt(u.loss)} (baseline ${fmt(u.baseline)})`
      + (held ? `; held out at step ${held.step}: ${fmt(held.loss)}${held.accuracy !== undefined ? `, recall ${(100 * held.accuracy).toFixed(1)}%` : ''}${held.solved ? ', solved' : ''}` : '')
      + (u.error ? ` — ${u.error}` : '');
  if (u.step > 0 && Number.isFinite(u.loss) && (lossData[0].length === 0 || u.step > lossData[0][lossData[0].length - 1])) {
    lossData[0].push(u.step);
    lossData[1].push(u.loss);
    lossData[2].push(u.baseline);
    drawLoss();
  }
  if (u.gradientNorms && u.sampleStep !== lastSample) {
    lastSample = u.sampleStep;
    const n = u.gradientNorms;
    drawRows($('training-unrolled'), [n], ['top layer'], 'scale-training',
        `training step ${u.sampleStep}: step 0 gets ${fmt(n[0] / n[n.length - 1])} of the last step's`);
    heatRows.push(u.gradientNorms);
    if (heatRows.length > 160) heatRows.shift();
    drawHeatmap();
  }
  if (u.horizon >= 0) lastHorizon = [u.horizon, u.sampleStep];
  $('training-figures').textContent = (lastHorizon ? `memory horizon ${lastHorizon[0]} steps (measured at step ${lastHorizon[1]})` : 'memory horizon not measured yet')
      + (u.verdict ? `; ${u.verdict}` : '');
  if (u.state !== 'running' && u.state !== 'paused') $('pause').disabled = true;
}

function drawLoss() {
  if (!lossChart) {
    lossChart = new uPlot({ width: WIDTH, height: 240, scales: { x: { time: false } },
      series: [{ label: 'step' }, { label: 'training loss', stroke: '#1f77b4', width: 2 },
        { label: 'memoryless baseline', stroke: '#7f7f7f', dash: [6, 4], width: 1.5 }],
      axes: [{ label: 'step' }, { label: 'loss', size: 60 }] }, lossData, $('loss'));
  } else {
    lossChart.setData(lossData);
  }
}

function drawHeatmap() {
  const c = $('heatmap');
  const g = c.getContext('2d');
  const [lo, hi] = positiveRange(heatRows);
  const rowHeight = c.height / Math.max(heatRows.length, 1);
  g.clearRect(0, 0, c.width, c.height);
  heatRows.forEach((row, r) => {
    const w = c.width / row.length;
    row.forEach((v, t) => {
      g.fillStyle = colour(logPosition(v, lo, hi));
      g.fillRect(t * w, r * rowHeight, Math.ceil(w), Math.ceil(rowHeight));
    });
  });
}

// ------------------------------------------------------------------ wiring

function sizeKindChanged() {
  const radius = $('size-kind').value === 'spectral-radius';
  $('size-label').textContent = radius ? 'spectral radius' : 'scale';
}

for (const id of ['cell', 'length', 'hidden', 'layers', 'init', 'size-kind', 'size', 'seed']) {
  $(id).addEventListener(id === 'size' ? 'input' : 'change', () => {
    if (id === 'size-kind') sizeKindChanged();
    $('size-value').textContent = Number($('size').value).toFixed(2);
    changed(performance.now());
  });
}
changed(performance.now());
