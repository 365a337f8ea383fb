// qat-fleet web console. Everything shown comes from the trainer's API with the bearer token the
// user pasted (kept in sessionStorage). Every string from the API is untrusted (events are hostile
// input): the page builds its DOM with createElement/append/textContent only, never innerHTML.
'use strict';

const TOKEN_KEY = 'qat-token';
const SVG = 'http://www.w3.org/2000/svg';
const EXAMPLE_SPEC = {
  name: 'console-demo',
  data: { dataset: 'fashion-mnist', trainLimit: 2000, testLimit: 500, calibrationSize: 500 },
  model: { architecture: 'cnn', convChannels: [8, 16], denseUnits: [32] },
  quantization: { weightBits: 8, activationBits: 8, method: 'lsq_pact' },
  training: { floatEpochs: 1, qatEpochs: 1, calibrationEpochs: 1, batchSize: 64, seed: 1 },
  thresholds: { accuracy: { maxAbsDrop: 0.05 } },
  maxRounds: 1,
};

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  jobs: new Map(),
  selected: null,
  abort: null,
  retryMs: 1000,
  rounds: null,
  cmRound: null,
};

// ---- DOM helpers: text only ---------------------------------------------------------------
const $ = (id) => document.getElementById(id);

/** An element with attributes (set as properties or attributes, never as HTML) and children. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'title') e.title = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

const fmt = (x, digits = 4) => (typeof x === 'number' && isFinite(x) ? x.toFixed(digits) : '—');
const time = (t) => (t ? new Date(t).toLocaleTimeString() : '');

// ---- API ----------------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.token }, options.headers);
  const res = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
  if (res.status === 401) {
    signOut('the token was refused (HTTP 401): paste a new one');
    throw new Error('HTTP 401');
  }
  return res;
}

// ---- sign in / out ------------------------------------------------------------------------
function signIn(token) {
  state.token = token.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $('login').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  stream();
  loadModels();
  loadDeadLetters();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.abort) state.abort.abort();
  state.jobs.clear();
  state.selected = null;
  $('app').hidden = true;
  $('login').hidden = false;
  $('signout').hidden = true;
  $('login-error').textContent = message || '';
  setConnection('off', 'signed out');
}

function setConnection(kind, text) {
  const c = $('connection');
  c.className = 'conn ' + kind;
  c.textContent = text;
}

// ---- live jobs: Server-Sent Events over fetch (EventSource cannot send the bearer token) -----
async function stream() {
  if (state.abort) state.abort.abort();
  const abort = new AbortController();
  state.abort = abort;
  try {
    const res = await api('/jobs/updates', {
      headers: { Accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (res.status === 403) {
      setConnection('off', 'forbidden');
      $('login-error').textContent = 'this token may not read jobs (HTTP 403)';
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    setConnection('live', 'live');
    state.retryMs = 1000;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + value).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) onJob(JSON.parse(data));
      }
    }
    throw new Error('stream ended');
  } catch (e) {
    if (abort.signal.aborted || !state.token) return;
    setConnection('retry', 'reconnecting');
    setTimeout(() => state.abort === abort && stream(), state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 15000);
  }
}

function onJob(job) {
  if (!job || typeof job.jobId !== 'string') return;
  const old = state.jobs.get(job.jobId);
  // The stream starts with every job while changes already flow: keep the newer of the two.
  if (old && old.updated && job.updated && Date.parse(job.updated) < Date.parse(old.updated)) return;
  state.jobs.set(job.jobId, job);
  renderJobs();
  if (state.selected === job.jobId) {
    renderDetail();
    const changed = !old || old.stage !== job.stage || old.round !== job.round
      || old.decision !== job.decision || (job.progress && job.progress.loss != null);
    if (changed) loadRounds(job.jobId);
  }
  if (job.stage === 'approved' && (!old || old.stage !== 'approved')) loadModels();
}

// ---- jobs table ---------------------------------------------------------------------------
const ENDED = new Set(['approved', 'failed', 'cancelled', 'approval-refused']);

function renderJobs() {
  const body = $('jobs').tBodies[0];
  const jobs = [...state.jobs.values()].sort(
    (a, b) => (Date.parse(b.updated) || 0) - (Date.parse(a.updated) || 0));
  body.replaceChildren(...jobs.map(jobRow));
  $('jobs-empty').hidden = jobs.length > 0;
}

function jobRow(job) {
  const p = job.progress;
  const fraction = ENDED.has(job.stage) ? (job.stage === 'approved' ? 1 : null) : p ? p.progress : null;
  const bar = el('span', { class: 'bar' }, el('span'));
  bar.firstChild.style.width = Math.round(100 * (fraction || 0)) + '%';
  const tr = el(
    'tr',
    { class: state.selected === job.jobId ? 'selected' : '' },
    el('td', { class: 'job-id', title: job.jobId }, job.jobId.length > 12 ? job.jobId.slice(0, 8) + '…' : job.jobId),
    el('td', { class: 'job-name' }, job.name || ''),
    el('td', {}, job.owner || ''),
    el('td', { class: 'stage stage-' + String(job.stage || '').replace(/[^a-z-]/g, '') }, job.stage || ''),
    el('td', {}, job.round),
    el('td', {}, bar, ' ', fraction == null ? '' : Math.round(100 * fraction) + '%', ' ',
      el('span', { class: 'muted' }, p && !ENDED.has(job.stage) ? p.message : '')),
    el('td', {}, job.decision || ''),
    el('td', {}, job.approvedVersion != null ? 'v' + job.approvedVersion : ''),
    el('td', {}, time(job.updated)));
  tr.dataset.jobId = job.jobId;
  tr.addEventListener('click', () => select(job.jobId));
  return tr;
}

function select(jobId) {
  state.selected = jobId;
  state.rounds = null;
  state.cmRound = null;
  renderJobs();
  renderDetail();
  loadRounds(jobId);
}

// ---- one job ------------------------------------------------------------------------------
function renderDetail() {
  const job = state.jobs.get(state.selected);
  $('detail').hidden = !job;
  if (!job) return;
  $('detail-title').textContent = (job.name || 'job') + ' — ' + job.jobId;
  const bar = job.bar
    ? 'bar: ' + Object.entries(job.bar.thresholds || {}).map(([m, t]) => m + ' ' + thresholdText(t)).join(', ')
      + (job.bar.source ? ' (' + String(job.bar.source).toLowerCase() + ')' : '')
    : '';
  const approval = job.approval
    ? job.approval.verified
      ? 'approved as ' + job.approval.modelName + ' v' + job.approval.version + ', signed by key ' + job.approval.keyId
      : 'approval refused: ' + job.approval.problem
    : '';
  $('detail-meta').textContent = ['owner ' + (job.owner || '—'), 'stage ' + job.stage, 'round ' + job.round, bar, approval]
    .filter(Boolean).join(' · ');
  $('history').replaceChildren(...(job.history || []).slice(-40).map((h) =>
    el('li', {}, el('span', { class: 'muted' }, time(h.timestamp) + ' r' + h.round + ' '), h.type + ': ', h.message || '')));
}

async function loadRounds(jobId) {
  if (state.loadingRounds) {
    state.roundsAgain = true;
    return;
  }
  state.loadingRounds = true;
  try {
    const res = await api('/jobs/' + encodeURIComponent(jobId) + '/rounds');
    if (res.ok && state.selected === jobId) {
      state.rounds = await res.json();
      renderRounds();
    }
  } catch (e) {
    // shown again on the next change
  } finally {
    state.loadingRounds = false;
    if (state.roundsAgain) {
      state.roundsAgain = false;
      if (state.selected) loadRounds(state.selected);
    }
  }
}

function thresholdText(t) {
  if (!t) return '';
  const parts = [];
  if (t.min != null) parts.push('≥ ' + t.min);
  if (t.maxAbsDrop != null) parts.push('drop ≤ ' + (100 * t.maxAbsDrop).toFixed(2) + ' pp');
  if (t.maxRelDrop != null) parts.push('relative drop ≤ ' + (100 * t.maxRelDrop).toFixed(2) + ' %');
  return parts.join(', ');
}

/** Fields of each round event the page draws itself; any other field is shown as it is. */
const KNOWN = {
  common: ['schemaVersion', 'type', 'eventId', 'jobId', 'round', 'checkpoint', 'timestamp', 'spec'],
  ValidationCompleted: ['floatMetrics', 'quantizedMetrics', 'thresholdResults', 'agreement', 'decision',
    'floatConfusion', 'quantizedConfusion', 'thresholdSource'],
  RetrainRequested: ['reason', 'nextRound', 'epochs', 'learningRate'],
  TrainRequested: ['reason', 'epochs', 'learningRate', 'startFrom'],
  ModelApproved: ['modelName', 'version', 'metrics', 'calibratedCheckpoint', 'thresholds', 'thresholdSource',
    'keyId', 'signature', 'onnxModel'],
  JobFailed: ['reason'],
};

function renderRounds() {
  const r = state.rounds;
  if (!r) return;
  renderLoss(r.loss || []);
  const out = [];
  const rounds = Object.keys(r.rounds || {}).map(Number).sort((a, b) => a - b);
  for (const n of rounds) {
    const events = r.rounds[n];
    const box = el('div', { class: 'round', 'data-round': n }, el('h4', {}, 'Round ' + n));
    const train = events.TrainRequested;
    if (train) box.append(el('p', {}, 'requested: ' + (train.reason || '') + ', ' + train.epochs + ' epoch(s), learning rate ' + train.learningRate));
    const v = events.ValidationCompleted;
    if (v) box.append(validationTable(v), extras(v, KNOWN.ValidationCompleted));
    const back = events.RetrainRequested;
    if (back) {
      box.append(el('p', {}, 'sent back: ' + (back.reason || '') + ' → round ' + back.nextRound + ' with '
        + back.epochs + ' epoch(s), learning rate ' + back.learningRate));
      box.append(extras(back, KNOWN.RetrainRequested, 'remedy'));
    }
    const approved = events.ModelApproved;
    if (approved) {
      box.append(el('p', { class: 'pass' }, 'approved: ' + approved.modelName + ' v' + approved.version
        + (approved.keyId ? ', signed by key ' + approved.keyId : ', unsigned')));
      box.append(extras(approved, KNOWN.ModelApproved));
    }
    const failed = events.JobFailed;
    if (failed) box.append(el('p', { class: 'fail' }, 'failed: ' + (failed.reason || '')), extras(failed, KNOWN.JobFailed));
    out.push(box);
  }
  $('rounds').replaceChildren(...(out.length ? out : [el('p', { class: 'muted' }, 'No round validated yet.')]));
  renderConfusionChoice(rounds.filter((n) => r.rounds[n].ValidationCompleted));
}

/** Overall metrics in the table with the bar; per-class ones ("f1.3") in a table by class name. */
const OVERALL = ['accuracy', 'macroPrecision', 'macroRecall', 'macroF1'];
const PER_CLASS = /^(precision|recall|f1)\.(\d+)$/;

function validationTable(v) {
  const fm = v.floatMetrics || {};
  const qm = v.quantizedMetrics || {};
  const rows = (v.thresholdResults || []).map((t) => el('tr', {},
    el('td', {}, t.metric),
    el('td', {}, fmt(t.floatValue)),
    el('td', {}, fmt(t.quantizedValue)),
    el('td', {}, fmt(100 * (t.quantizedValue - t.floatValue), 2)),
    el('td', {}, thresholdText(t.threshold)),
    el('td', { class: t.passed ? 'pass' : 'fail' }, t.passed ? 'pass' : 'fail')));
  const barred = new Set((v.thresholdResults || []).map((t) => t.metric));
  for (const m of OVERALL) {
    if (barred.has(m) || typeof qm[m] !== 'number') continue;
    const f = fm[m];
    rows.push(el('tr', {}, el('td', {}, m), el('td', {}, fmt(f)), el('td', {}, fmt(qm[m])),
      el('td', {}, typeof f === 'number' ? fmt(100 * (qm[m] - f), 2) : '—'), el('td', {}, '—'), el('td', {}, '')));
  }
  const other = Object.keys(Object.assign({}, fm, qm)).filter((m) => !barred.has(m) && !OVERALL.includes(m) && !PER_CLASS.test(m));
  return el('div', {},
    el('p', {}, 'decision ', el('b', { class: String(v.decision).toLowerCase() === 'pass' ? 'pass' : 'fail' }, String(v.decision || '')),
      ', integer vs fake-quant agreement ' + fmt(100 * v.agreement, 2) + ' %',
      v.thresholdSource ? ', bar: ' + String(v.thresholdSource).toLowerCase() : ''),
    el('table', { class: 'metrics' },
      el('thead', {}, el('tr', {}, ...['metric', 'float', 'quantized', 'Δ (pp)', 'threshold', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows)),
    perClassTable(fm, qm),
    other.length ? el('p', { class: 'muted' }, other.map((m) => m + ' ' + [fm[m], qm[m]].map((x) => scalar(x) || '—').join(' / ')).join(' · ')) : null);
}

function perClassTable(fm, qm) {
  const classes = new Set();
  for (const m of Object.keys(qm)) {
    const match = PER_CLASS.exec(m);
    if (match) classes.add(Number(match[2]));
  }
  if (!classes.size) return null;
  const names = (state.rounds && state.rounds.classNames) || [];
  const kinds = ['precision', 'recall', 'f1'];
  return el('details', {}, el('summary', {}, 'per class (float / quantized)'),
    el('table', { class: 'per-class' },
      el('thead', {}, el('tr', {}, el('th', {}, 'class'), ...kinds.map((k) => el('th', {}, k)))),
      el('tbody', {}, ...[...classes].sort((a, b) => a - b).map((c) => el('tr', {},
        el('td', {}, names[c] !== undefined ? names[c] : String(c)),
        ...kinds.map((k) => el('td', {}, fmt(fm[k + '.' + c], 3) + ' / ' + fmt(qm[k + '.' + c], 3))))))));
}

/** The fields of {@code event} the page does not draw itself (e.g. a remedy, per-layer sensitivities). */
function extras(event, known, highlight) {
  const skip = new Set([...KNOWN.common, ...known]);
  const box = el('div', { class: 'extras' });
  for (const [k, v] of Object.entries(event)) {
    if (skip.has(k) || v === null || v === undefined) continue;
    box.append(el('h5', {}, k === highlight ? k + ' (what the next round changes)' : k), generic(v));
  }
  return box;
}

function generic(v) {
  if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
    const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
    return el('table', {},
      el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', {}, k)))),
      el('tbody', {}, ...v.map((x) => el('tr', {}, ...keys.map((k) => el('td', {}, scalar(x[k])))))));
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== 'object')) {
    return el('table', {}, el('tbody', {}, ...Object.entries(v).map(([k, x]) => el('tr', {}, el('th', {}, k), el('td', {}, scalar(x))))));
  }
  return el('pre', {}, typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v));
}

const scalar = (x) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toPrecision(4))
  : x === null || x === undefined ? '' : typeof x === 'object' ? JSON.stringify(x) : String(x));

// ---- loss chart: one continuous axis, each stage (baseline, round n) one unit wide ---------
function renderLoss(points) {
  const box = $('loss-chart');
  if (!points.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No loss reported yet.'));
    return;
  }
  const segments = [];
  for (const p of points) {
    const key = p.round + '/' + p.stage;
    let s = segments.find((x) => x.key === key);
    if (!s) segments.push((s = { key, label: p.round === 0 ? p.stage : 'r' + p.round + ' ' + p.stage, points: [] }));
    s.points.push(p);
  }
  const W = 460, H = 220, L = 44, R = 8, T = 8, B = 30;
  const losses = points.map((p) => p.loss);
  let lo = Math.min(...losses), hi = Math.max(...losses);
  if (hi - lo < 1e-9) { hi += 0.5; lo = Math.max(0, lo - 0.5); }
  const x = (i, f) => L + ((i + f) / segments.length) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'training loss' });
  chart.append(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#9ca3af' }));
  chart.append(svg('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#9ca3af' }));
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    chart.append(svg('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end' }, v.toFixed(3)));
    chart.append(svg('line', { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: '#f3f4f6' }));
  }
  const colours = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];
  segments.forEach((s, i) => {
    const pts = s.points.map((p) => `${x(i, p.progress).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
    const colour = colours[i % colours.length];
    chart.append(svg('polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': 1.5 }));
    for (const p of s.points) chart.append(svg('circle', { cx: x(i, p.progress), cy: y(p.loss), r: 2.5, fill: colour }));
    if (i > 0) chart.append(svg('line', { x1: x(i, 0), y1: T, x2: x(i, 0), y2: H - B, stroke: '#d1d5db', 'stroke-dasharray': '3 3' }));
    chart.append(svg('text', { x: x(i, 0.5), y: H - B + 14, 'text-anchor': 'middle' }, s.label));
  });
  chart.append(svg('text', { x: L, y: H - 2 }, 'progress through each stage →'));
  box.replaceChildren(chart);
}

// ---- confusion matrices with class names --------------------------------------------------
function renderConfusionChoice(rounds) {
  const sel = $('cm-round');
  if (!rounds.length) {
    sel.replaceChildren();
    $('confusion').replaceChildren(el('p', { class: 'muted' }, 'No validation yet.'));
    return;
  }
  if (state.cmRound == null || !rounds.includes(state.cmRound)) state.cmRound = rounds[rounds.length - 1];
  sel.replaceChildren(...rounds.map((n) => el('option', { value: n }, 'round ' + n)));
  sel.value = String(state.cmRound);
  renderConfusion();
}

function renderConfusion() {
  const v = state.rounds && state.rounds.rounds[state.cmRound] && state.rounds.rounds[state.cmRound].ValidationCompleted;
  if (!v) return;
  const names = state.rounds.classNames || [];
  $('confusion').replaceChildren(
    el('div', {}, el('h4', {}, 'float'), matrix(v.floatConfusion, names)),
    el('div', {}, el('h4', {}, 'quantized'), matrix(v.quantizedConfusion, names)));
}

function matrix(m, names) {
  if (!Array.isArray(m)) return el('p', { class: 'muted' }, 'none');
  const name = (i) => (names[i] !== undefined ? names[i] : String(i));
  const head = el('tr', {}, el('th', {}, 'true / predicted'), ...m.map((_, j) => el('th', {}, name(j))));
  const rows = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return el('tr', {}, el('th', {}, name(i)), ...row.map((c) => {
      const td = el('td', {}, c);
      td.style.backgroundColor = `rgba(37, 99, 235, ${(0.85 * c) / total})`;
      if (c / total > 0.5) td.style.color = '#fff';
      return td;
    }));
  });
  return el('table', { class: 'cm' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

// ---- registry and dead letters ------------------------------------------------------------
async function loadModels() {
  const res = await api('/models').catch(() => null);
  if (!res) return;
  if (!res.ok) {
    $('models-note').textContent = 'HTTP ' + res.status;
    return;
  }
  const models = await res.json();
  $('models').tBodies[0].replaceChildren(...models.map((m) => el('tr', { 'data-model': m.name },
    el('td', {}, m.name),
    el('td', {}, m.owner || ''),
    el('td', {}, m.latest != null ? 'v' + m.latest : '—'),
    el('td', { class: m.latestVerified ? 'pass' : 'fail' }, m.latest == null ? '' : m.latestVerified ? 'verified' : 'refused: ' + (m.latestProblem || '')),
    el('td', { title: m.latestJobId || '' }, m.latestJobId ? m.latestJobId.slice(0, 8) + '…' : ''),
    el('td', {}, Object.entries(m.latestMetrics || {}).filter(([k]) => /accuracy|F1/.test(k)).map(([k, v]) => k + ' ' + fmt(v)).join(', ')),
    el('td', {}, (m.versions || []).map((v) => 'v' + v.version + (v.verified ? ' ✓' : ' ✗')).join(', ')))));
  $('models-note').textContent = models.length ? '' : 'No approved model yet.';
}

async function loadDeadLetters() {
  const res = await api('/dead-letters?limit=100').catch(() => null);
  if (!res) return;
  if (res.status === 403) {
    $('dlq-note').textContent = 'Operators only: sign in with an operator token (./qat token --role operator).';
    return;
  }
  if (!res.ok) {
    $('dlq-note').textContent = 'HTTP ' + res.status;
    return;
  }
  const letters = await res.json();
  $('dead-letters').tBodies[0].replaceChildren(...letters.reverse().map((l) => el('tr', {},
    el('td', {}, new Date(l.timestamp).toLocaleString()),
    el('td', { title: l.eventId }, l.eventId.slice(0, 8) + '…'),
    el('td', {}, l.jobId),
    el('td', {}, l.sourceTopic + '-' + l.partition + '@' + l.offset),
    el('td', {}, l.errorType),
    el('td', { class: 'reason' }, l.reason))));
  $('dlq-note').textContent = letters.length ? '' : 'No dead letters.';
}

// ---- submit -------------------------------------------------------------------------------
async function submitJob(event) {
  event.preventDefault();
  const out = $('submit-result');
  let res;
  try {
    res = await api('/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: $('spec').value,
    });
  } catch (e) {
    out.replaceChildren(el('p', { class: 'error' }, String(e.message || e)));
    return;
  }
  const body = await res.json().catch(() => ({}));
  if (res.status === 202) {
    out.replaceChildren(el('p', { class: 'pass' }, 'accepted: job ' + body.jobId));
    select(body.jobId);
  } else if (Array.isArray(body.violations)) {
    out.replaceChildren(el('p', { class: 'error' }, 'refused (HTTP ' + res.status + '):'),
      el('ul', {}, ...body.violations.map((v) => el('li', {}, v))));
  } else {
    out.replaceChildren(el('p', { class: 'error' }, 'refused (HTTP ' + res.status + '): ' + (body.reason || '')));
  }
}

// ---- start --------------------------------------------------------------------------------
document.addEventListener('DOMContentLoaded', () => {
  $('spec').value = JSON.stringify(EXAMPLE_SPEC, null, 2);
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token').value;
    $('token').value = '';
    if (t.trim()) signIn(t);
  });
  $('signout').addEventListener('click', () => signOut());
  $('submit-form').addEventListener('submit', submitJob);
  $('models-refresh').addEventListener('click', loadModels);
  $('dlq-refresh').addEventListener('click', loadDeadLetters);
  $('cm-round').addEventListener('change', (e) => {
    state.cmRound = Number(e.target.value);
    renderConfusion();
  });
  if (state.token) signIn(state.token);
});
