// The console single page app (docs/console.md): polls the console server's /api routes and renders the panels.
// Each panel has its own poll loop (Health, metrics, demo backend, deliveries, dead letters, jobs, job detail):
// a loop's next request starts 2 s after its previous answer, and its panel is redrawn when that answer arrives,
// so a hung component freezes only its panels. Every value from the API reaches the page through textContent or
// setAttribute, never as markup.
'use strict';

(function () {
  const POLL_INTERVAL_MS = 2000;
  const REQUEST_TIMEOUT_MS = 15000;
  // A replay publishes and acks every dead letter it replays: it may take far longer than a poll's request.
  const REPLAY_TIMEOUT_MS = 120000;
  const NEXT_TIMES = 10;
  const RUNS_SHOWN = 20;
  const DELIVERIES_LIMIT = 500;
  const CHART_POINTS = 60;
  // How long delete and replay all stay armed, waiting for their confirming click.
  const CONFIRM_MS = 4000;
  const KNOWN_OUTCOMES = ['delivered', 'handed_back', 'dead_lettered', 'lost'];
  const CIRCUIT_STATES = { 0: 'closed', 1: 'half-open', 2: 'open' };
  const JOBS_PAGE_SIZE = 500;
  const MAX_JOB_PAGES = 20;
  // Last-run requests of the jobs list in flight at once. With the detail's one request at a time, the scheduler's
  // routes hold at most 3 of the MAX_SHARED_REQUESTS slots: a hung scheduler leaves 2 to the other panels.
  const MAX_RUN_REQUESTS = 2;
  // Chromium opens at most 6 connections per host: requests other than /api/health share 5 of them, so a
  // hung component can never take the one Health needs (within this page: the 6 are per browser profile, so
  // another console tab shares them).
  const MAX_SHARED_REQUESTS = 5;
  const HEALTH_URL = '/api/health';

  const state = {
    config: null,
    jobs: [],
    lastRuns: {},          // job name -> newest run or null
    lastRunsFor: {},       // job name -> { lastAttemptTime, run }: the cache behind lastRuns
    deliveriesCapacity: 0, // the ring's capacity (0: unknown or off)
    selectedJob: null,     // full job name
    detail: null,          // { name, runs, next }
    deliveries: [],        // every recent delivery (join + filter options)
    deliveriesFiltered: null,
    deliveriesStatus: '',
    deadLetters: null,
    health: null,
    metrics: null,
    samples: [],           // { t, settled, attemptSum, attemptCount, e2eSum, e2eCount }
    rendered: {},          // panel -> key of what it shows, to re-render only on change
    deleteArmed: null,     // { name, until }
    replayArmed: null,     // until (ms since the epoch): replay all waits for its confirming click
    replaying: false,      // a replay is in flight: every replay button is disabled
  };

  // ---------- small helpers ----------

  function $(testid) { return document.querySelector('[data-testid="' + testid + '"]'); }

  // Creates an element: attrs via setAttribute, children as nodes or text (never parsed as markup).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setText(testid, text) {
    const node = $(testid);
    if (node && node.textContent !== String(text)) node.textContent = String(text);
  }

  function showError(testid, text) {
    const node = $(testid);
    if (!node) return;
    node.textContent = text || '';
    node.hidden = !text;
  }

  function replaceRows(testid, rows) {
    const body = $(testid);
    if (body) body.replaceChildren(...rows);
  }

  // Re-renders a panel only when what it shows changed (keeps focus, selection and hover stable).
  function changed(panel, value) {
    const key = JSON.stringify(value);
    if (state.rendered[panel] === key) return false;
    state.rendered[panel] = key;
    return true;
  }

  function shortId(name) { return String(name || '').split('/').pop(); }

  // "projects/p/locations/l/jobs/j" -> URL path with each segment encoded.
  function encodePath(name) { return String(name).split('/').map(encodeURIComponent).join('/'); }

  function schedulerUrl(rest) { return '/api/scheduler/' + rest; }

  function jobsUrl() {
    const c = state.config;
    return schedulerUrl('v1/projects/' + encodeURIComponent(c.project) + '/locations/' +
                        encodeURIComponent(c.location) + '/jobs');
  }

  let sharedInFlight = 0;
  const sharedWaiting = [];

  async function acquireShared() {
    if (sharedInFlight < MAX_SHARED_REQUESTS) { sharedInFlight++; return; }
    await new Promise((resolve) => sharedWaiting.push(resolve));
  }

  function releaseShared() {
    const next = sharedWaiting.shift();
    if (next) next(); else sharedInFlight--;
  }

  // fetch with a time limit (`timeoutMs`, REQUEST_TIMEOUT_MS unless given, counted from when the request may start);
  // resolves to { ok, status, body, error, timedOut } (body parsed JSON when it is JSON; timedOut when the time limit
  // ended it). Every request but Health's waits for one of MAX_SHARED_REQUESTS slots.
  async function request(method, url, body, timeoutMs) {
    const shared = url !== HEALTH_URL;
    if (shared) await acquireShared();
    try {
      return await requestNow(method, url, body, timeoutMs || REQUEST_TIMEOUT_MS);
    } finally {
      if (shared) releaseShared();
    }
  }

  async function requestNow(method, url, body, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const init = { method, signal: controller.signal, headers: {} };
      if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      const res = await fetch(url, init);
      const text = await res.text();
      let parsed = text;
      if ((res.headers.get('Content-Type') || '').includes('json')) {
        try { parsed = JSON.parse(text); } catch (e) { parsed = text; }
      }
      return { ok: res.ok, status: res.status, body: parsed, error: res.ok ? '' : errorText(res.status, parsed),
               timedOut: false };
    } catch (e) {
      const timedOut = !!(e && e.name === 'AbortError');
      const what = timedOut ? 'timed out after ' + timeoutMs / 1000 + ' s' : String(e);
      return { ok: false, status: 0, body: null, error: method + ' ' + url + ': ' + what, timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  // The message of Google's error shape, the console server's {"error": "..."}, or the text.
  function errorText(status, body) {
    if (body && typeof body === 'object') {
      if (body.error && typeof body.error === 'object' && body.error.message) return String(body.error.message);
      if (typeof body.error === 'string') return body.error;
    }
    const text = typeof body === 'string' ? body.trim() : '';
    return 'HTTP ' + status + (text ? ': ' + text.slice(0, 300) : '');
  }

  function pad(n) { return String(n).padStart(2, '0'); }

  // RFC 3339 -> "YYYY-MM-DD HH:MM:SS" in `zone` (the browser's zone when absent) plus the zone's short name.
  function formatTime(rfc3339, zone) {
    if (!rfc3339) return '';
    const d = new Date(rfc3339);
    if (isNaN(d.getTime())) return String(rfc3339);
    try {
      const parts = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone || undefined, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
        minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
      }).formatToParts(d);
      const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
      return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' ' +
             (p.timeZoneName || '');
    } catch (e) {
      return d.toISOString();
    }
  }

  function clock(date) { return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds()); }

  function formatLatency(ms) {
    if (ms === undefined || ms === null || ms === '') return '';
    const n = Number(ms);
    return isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n)) + ' ms' : '';
  }

  function attributesText(attrs) {
    return Object.entries(attrs || {}).map(([k, v]) => k + '=' + v).join(', ');
  }

  function utf8ToBase64(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  function base64ToText(b64) {
    try {
      const bin = atob(b64 || '');
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    } catch (e) {
      return '(not base64)';
    }
  }

  // ---------- deliveries joined with runs ----------

  // Deliveries of one message id, newest first (the ring's order).
  function deliveriesOf(messageId) {
    if (!messageId) return [];
    return state.deliveries.filter((d) => d.messageId === messageId);
  }

  // What schedule-service did with a message: the newest decided delivery, "retried" when it took more
  // than one HTTP attempt or Pub/Sub delivered the message more than once.
  function joinedOutcome(messageId) {
    const all = deliveriesOf(messageId);
    if (all.length === 0) return null;
    const latest = all[0];
    const retried = Number(latest.attempts) > 1 || all.length > 1;
    const outcome = String(latest.outcome || '');
    return {
      latest,
      outcome,
      label: outcome.replace(/_/g, ' ') + (retried ? ', retried' : ''),
      retried,
    };
  }

  // Whether a message attempted at `attemptTime` is older than every delivery read while the ring is full (as many
  // records as its capacity, or as the page reads). Its outcome may have been decided before the oldest of them
  // (and overwritten) or not be decided yet: a record carries the decision time, and a message still in a Pub/Sub
  // backlog or held in the pod (circuit open) can be older than all of them.
  function outsideRing(attemptTime) {
    const n = state.deliveries.length;
    const cap = state.deliveriesCapacity;
    if (!cap || n === 0 || n < Math.min(cap, DELIVERIES_LIMIT) || !attemptTime) return false;
    const oldest = Date.parse(state.deliveries[n - 1].time);
    const at = Date.parse(attemptTime);
    return isFinite(oldest) && isFinite(at) && at < oldest;
  }

  function outsideRingText() {
    return 'no outcome among the newest ' + state.deliveries.length + ' deliveries';
  }

  const OUTSIDE_RING_TITLE = 'decided before the oldest of them, or not decided yet (e.g. still in a Pub/Sub backlog, ' +
                             'or held while its circuit is open)';

  function outcomeCell(joined, testid, attemptTime) {
    if (!joined && outsideRing(attemptTime)) {
      return el('td', { 'data-testid': testid, 'data-outcome': 'outside_ring', class: 'muted', title: OUTSIDE_RING_TITLE },
                outsideRingText());
    }
    if (!joined) return el('td', { 'data-testid': testid, 'data-outcome': 'pending', class: 'muted' }, 'not decided yet');
    return el('td', { 'data-testid': testid, 'data-outcome': joined.outcome,
                      class: 'outcome outcome-' + joined.outcome.replace(/[^a-z_]/g, '') }, joined.label);
  }

  // ---------- polling ----------

  // Each panel polls on its own loop: the next request of a loop starts POLL_INTERVAL_MS after its previous
  // answer (never two at once within a loop), and the loop renders its panel as soon as its answer arrives, so a
  // component that hangs freezes only the panels that need it. Health starts first.
  const loops = {};

  function startLoop(name, fn) {
    const loop = { running: false, again: false, timer: null, ok: false };
    async function run() {
      loop.running = true;
      try {
        loop.ok = (await fn()) !== false;
      } catch (e) {
        loop.ok = false;
        showError('poll-error', 'console error: ' + String(e && e.message ? e.message : e));
      } finally {
        loop.running = false;
        updatedLine();
        if (loop.again) {
          loop.again = false;
          run();
        } else {
          loop.timer = setTimeout(run, POLL_INTERVAL_MS);
        }
      }
    }
    // Polls now, or right after the request in flight.
    loop.kick = () => {
      if (loop.running) { loop.again = true; return; }
      if (loop.timer) clearTimeout(loop.timer);
      loop.timer = null;
      run();
    };
    loops[name] = loop;
    run();
  }

  // "updated HH:MM:SS" when every loop's latest round succeeded; otherwise the line keeps its last time.
  function updatedLine() {
    const ok = Object.values(loops).every((l) => l.ok);
    if (ok) setText('last-updated', 'updated ' + clock(new Date()) + ' (every ' + POLL_INTERVAL_MS / 1000 + ' s)');
  }

  // Starts every panel's poll now (or right after the one in flight), e.g. after an action.
  function refreshSoon() {
    for (const loop of Object.values(loops)) loop.kick();
  }

  function refresh(name) { if (loops[name]) loops[name].kick(); }

  async function start() {
    drawCharts();
    startLoop('health', pollHealth);
    startLoop('metrics', pollMetrics);
    startLoop('demo', pollDemo);
    startLoop('deliveries', pollDeliveries);
    startLoop('deadletters', pollDeadLetters);
    // The scheduler's panels need the project and location from /api/config.
    for (;;) {
      const c = await request('GET', '/api/config');
      if (c.ok && c.body && typeof c.body === 'object') {
        state.config = c.body;
        break;
      }
      showError('poll-error', 'cannot read /api/config: ' + c.error);
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
    showError('poll-error', '');
    const c = state.config;
    setText('config-summary', 'project ' + c.project + ' · ' + c.location + ' · ingest ' + (c.ingest || '?'));
    const topic = $('field-topic');
    if (topic && !topic.value) topic.value = c.topic || '';
    startLoop('jobs', pollJobs);
    startLoop('detail', pollDetail);
  }

  // Every page of the jobs list (nextPageToken), bounded.
  async function listJobs() {
    const jobs = [];
    let token = '';
    for (let page = 0; page < MAX_JOB_PAGES; page++) {
      const r = await request('GET', jobsUrl() + '?pageSize=' + JOBS_PAGE_SIZE +
                              (token ? '&pageToken=' + encodeURIComponent(token) : ''));
      if (!r.ok) return { error: r.error };
      jobs.push(...((r.body && r.body.jobs) || []));
      token = (r.body && r.body.nextPageToken) || '';
      if (!token) break;
    }
    return { jobs };
  }

  // Runs `tasks` (functions returning promises of true, or false for a failure) with at most `limit` in flight;
  // after the first failure it starts no more of them.
  async function withLimit(tasks, limit) {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < tasks.length) {
        if ((await tasks[next++]()) === false) failed = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  }

  async function pollJobs() {
    const list = await listJobs();
    if (list.error) { showError('jobs-error', 'jobs: ' + list.error); return false; }
    showError('jobs-error', '');
    state.jobs = list.jobs;
    // A job's newest run is read again only when the jobs list shows a new lastAttemptTime. After a failed read the
    // round reads no more (a hung /runs would otherwise hold its slots job after job): the others keep their
    // cached run and are read in the next round.
    const stale = state.jobs.filter((j) => {
      const cached = state.lastRunsFor[j.name];
      return !cached || cached.lastAttemptTime !== (j.lastAttemptTime || '');
    });
    let ok = true;
    await withLimit(stale.map((j) => async () => {
      const r = await request('GET', schedulerUrl('emulator/v1/' + encodePath(j.name) + '/runs?pageSize=1'));
      if (!r.ok) { ok = false; return false; }
      const runs = (r.body && r.body.runs) || [];
      state.lastRunsFor[j.name] = { lastAttemptTime: j.lastAttemptTime || '', run: runs.length ? runs[0] : null };
      return true;
    }), MAX_RUN_REQUESTS);
    const names = new Set(state.jobs.map((j) => j.name));
    for (const name of Object.keys(state.lastRunsFor)) if (!names.has(name)) delete state.lastRunsFor[name];
    state.lastRuns = {};
    for (const j of state.jobs) state.lastRuns[j.name] = state.lastRunsFor[j.name] ? state.lastRunsFor[j.name].run : null;
    if (!ok) showError('jobs-error', 'jobs: some last runs could not be read');
    let selectionChanged = false;
    if (state.selectedJob && !names.has(state.selectedJob)) {
      state.selectedJob = null;
      state.detail = null;
      selectionChanged = true;
    }
    if (!state.selectedJob && state.jobs.length) {
      state.selectedJob = state.jobs[0].name;
      selectionChanged = true;
    }
    renderJobs();
    renderDetail();
    if (selectionChanged) refresh('detail');
    return ok;
  }

  // The detail's two requests one after the other: with the jobs list's reads (its page request, then at most
  // MAX_RUN_REQUESTS last runs), the scheduler's routes never hold more than MAX_RUN_REQUESTS + 1 of the
  // browser's connections.
  async function pollDetail() {
    const name = state.selectedJob;
    if (!name) { state.detail = null; renderDetail(); return true; }
    const base = schedulerUrl('emulator/v1/' + encodePath(name));
    const runs = await request('GET', base + '/runs?pageSize=' + RUNS_SHOWN);
    const next = await request('GET', base + '/nextScheduleTimes?count=' + NEXT_TIMES);
    if (name !== state.selectedJob) return true;  // another job was chosen meanwhile: its poll follows
    const errors = [runs, next].filter((x) => !x.ok).map((x) => x.error);
    showError('detail-error', errors.join('; '));
    state.detail = {
      name,
      runs: runs.ok && runs.body ? runs.body.runs || [] : [],
      next: next.ok && next.body ? next.body : null,
    };
    renderDetail();
    return errors.length === 0;
  }

  function deliveryFilters() {
    return { backend: $('filter-backend').value, outcome: $('filter-outcome').value };
  }

  async function pollDeliveries() {
    const ok = await readDeliveries();
    renderDeliveries();
    renderJobs();
    renderDetail();
    return ok;
  }

  async function readDeliveries() {
    const all = await request('GET', '/api/service/deliveries?limit=' + DELIVERIES_LIMIT);
    if (all.status === 404) {
      state.deliveries = [];
      state.deliveriesCapacity = 0;
      state.deliveriesStatus = 'the recent deliveries ring is off (admin.recent_deliveries: 0)';
      state.deliveriesFiltered = null;
      showError('deliveries-error', '');
      return true;
    }
    if (!all.ok) { showError('deliveries-error', 'deliveries: ' + all.error); return false; }
    showError('deliveries-error', '');
    state.deliveries = (all.body && all.body.deliveries) || [];
    state.deliveriesCapacity = Number((all.body && all.body.capacity) || 0);
    state.deliveriesStatus = 'ring capacity ' + ((all.body && all.body.capacity) || '?');
    const f = deliveryFilters();
    if (!f.backend && !f.outcome) { state.deliveriesFiltered = null; return true; }
    const q = new URLSearchParams({ limit: String(DELIVERIES_LIMIT) });
    if (f.backend) q.set('backend', f.backend);
    if (f.outcome) q.set('outcome', f.outcome);
    const filtered = await request('GET', '/api/service/deliveries?' + q.toString());
    if (!filtered.ok) { showError('deliveries-error', 'deliveries: ' + filtered.error); return false; }
    state.deliveriesFiltered = (filtered.body && filtered.body.deliveries) || [];
    return true;
  }

  async function pollDeadLetters() {
    const r = await request('GET', '/api/deadletters');
    if (!r.ok) { showError('deadletters-error', 'dead letters: ' + r.error); return false; }
    showError('deadletters-error', '');
    state.deadLetters = r.body || { messages: [] };
    renderDeadLetters();
    return true;
  }

  async function pollHealth() {
    const h = await request('GET', HEALTH_URL);
    state.health = h.ok ? h.body : { error: h.error };
    renderHealth();
    return h.ok;
  }

  async function pollDemo() {
    const demo = await request('GET', '/api/demo-backend/config');
    state.demo = demo.ok ? demo.body : null;
    renderHealth();
    return true;  // no demo backend (404) is not a failure
  }

  async function pollMetrics() {
    const r = await request('GET', '/api/service/metrics');
    if (!r.ok || typeof r.body !== 'string') { state.metrics = null; renderHealth(); return false; }
    state.metrics = parsePrometheus(r.body);
    addSample(state.metrics);
    drawCharts();
    renderHealth();
    return true;
  }

  // ---------- /metrics ----------

  // Prometheus text -> [{ name, labels: {..}, value }]; comments and malformed lines are skipped.
  function parsePrometheus(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      if (m[3]) {
        const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
        let l;
        while ((l = re.exec(m[3])) !== null) {
          labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        }
      }
      out.push({ name: m[1], labels, value: Number(m[4]) });
    }
    return out;
  }

  function sumOf(metrics, name) {
    return metrics.filter((s) => s.name === name).reduce((a, s) => a + (isFinite(s.value) ? s.value : 0), 0);
  }

  function addSample(metrics) {
    state.samples.push({
      t: Date.now() / 1000,
      settled: sumOf(metrics, 'schedsvc_messages_acked_total') + sumOf(metrics, 'schedsvc_messages_nacked_total'),
      attemptSum: sumOf(metrics, 'schedsvc_backend_request_duration_seconds_sum'),
      attemptCount: sumOf(metrics, 'schedsvc_backend_request_duration_seconds_count'),
      e2eSum: sumOf(metrics, 'schedsvc_end_to_end_latency_seconds_sum'),
      e2eCount: sumOf(metrics, 'schedsvc_end_to_end_latency_seconds_count'),
    });
    while (state.samples.length > CHART_POINTS + 1) state.samples.shift();
  }

  // Rates between consecutive polls: deliveries settled per second and mean latencies (ms; null when
  // nothing was measured in the interval). A counter that went down (service restarted) gives no point.
  function chartSeries() {
    const rate = [];
    const attempt = [];
    const e2e = [];
    for (let i = 1; i < state.samples.length; i++) {
      const a = state.samples[i - 1];
      const b = state.samples[i];
      const dt = b.t - a.t;
      const dSettled = b.settled - a.settled;
      rate.push(dt > 0 && dSettled >= 0 ? dSettled / dt : null);
      const dc = b.attemptCount - a.attemptCount;
      attempt.push(dc > 0 ? (b.attemptSum - a.attemptSum) / dc * 1000 : null);
      const de = b.e2eCount - a.e2eCount;
      e2e.push(de > 0 ? (b.e2eSum - a.e2eSum) / de * 1000 : null);
    }
    return { rate, attempt, e2e };
  }

  // ---------- charts (SVG) ----------

  // Only a new sample changes the charts: they are drawn at start (empty) and after each one.
  function drawCharts() {
    const series = chartSeries();
    drawChart('chart-deliveries', [{ values: series.rate }], '/s');
    drawChart('chart-latency', [{ values: series.attempt }, { values: series.e2e }], 'ms');
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CHART_W = 320;
  const CHART_H = 90;
  const CHART_PAD_LEFT = 40;
  const CHART_PAD_Y = 8;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  // A line chart of `series` (arrays of numbers or null = gap), newest at the right.
  function drawChart(testid, series, unit) {
    const host = $(testid);
    if (!host) return;
    const values = series.flatMap((s) => s.values).filter((v) => v !== null && isFinite(v));
    const max = niceMax(values.length ? Math.max(...values) : 0);
    const plotW = CHART_W - CHART_PAD_LEFT - 4;
    const plotH = CHART_H - 2 * CHART_PAD_Y;
    const root = svg('svg', { viewBox: '0 0 ' + CHART_W + ' ' + CHART_H, class: 'chart-svg', role: 'img',
                              'aria-label': testid });
    root.append(svg('line', { x1: CHART_PAD_LEFT, y1: CHART_PAD_Y + plotH, x2: CHART_W - 4, y2: CHART_PAD_Y + plotH,
                              class: 'axis' }));
    root.append(svg('line', { x1: CHART_PAD_LEFT, y1: CHART_PAD_Y, x2: CHART_W - 4, y2: CHART_PAD_Y,
                              class: 'gridline' }));
    root.append(svg('text', { x: CHART_PAD_LEFT - 4, y: CHART_PAD_Y + 4, class: 'tick', 'text-anchor': 'end' },
                    max + (unit ? ' ' + unit : '')));
    root.append(svg('text', { x: CHART_PAD_LEFT - 4, y: CHART_PAD_Y + plotH, class: 'tick', 'text-anchor': 'end' },
                    '0'));
    const step = plotW / Math.max(1, CHART_POINTS - 1);
    series.forEach((s, si) => {
      const offset = CHART_POINTS - s.values.length;
      let points = [];
      const flush = () => {
        if (points.length === 1) {
          const [x, y] = points[0].split(',');
          root.append(svg('circle', { cx: x, cy: y, r: 1.8, class: 'series series-' + si }));
        } else if (points.length > 1) {
          root.append(svg('polyline', { points: points.join(' '), class: 'series series-' + si }));
        }
        points = [];
      };
      s.values.forEach((v, i) => {
        if (v === null || !isFinite(v)) { flush(); return; }
        const x = CHART_PAD_LEFT + (offset + i) * step;
        const y = CHART_PAD_Y + plotH - (Math.min(v, max) / max) * plotH;
        points.push(x.toFixed(1) + ',' + y.toFixed(1));
      });
      flush();
      const last = [...s.values].reverse().find((v) => v !== null && isFinite(v));
      host.setAttribute('data-last-' + si, last === undefined ? '' : String(last));
    });
    host.replaceChildren(root);
  }

  // ---------- rendering ----------

  function lastRunCell(job) {
    const run = state.lastRuns[job.name];
    if (!run) {
      const at = job.lastAttemptTime ? formatTime(job.lastAttemptTime, job.timeZone) : '';
      return el('td', { 'data-testid': 'job-last', 'data-outcome': 'none', class: 'muted' }, at || 'never');
    }
    const code = run.status && run.status.code ? Number(run.status.code) : 0;
    if (code !== 0) {
      return el('td', { 'data-testid': 'job-last', 'data-outcome': 'publish_failed', class: 'outcome outcome-bad' },
                'publish failed: ' + (run.status.message || 'code ' + code));
    }
    const joined = joinedOutcome(run.messageId);
    const outside = !joined && outsideRing(run.attemptTime);
    let text = outside ? outsideRingText() : 'published, no outcome yet';
    if (joined) {
      text = joined.outcome.replace(/_/g, ' ') +
             (joined.latest.httpStatus ? ' · HTTP ' + joined.latest.httpStatus : '') + (joined.retried ? ', retried' : '');
    }
    // The same data-outcome as the run history's cell for this run.
    return el('td', { 'data-testid': 'job-last', 'data-outcome': joined ? joined.outcome : outside ? 'outside_ring' : 'published',
                      class: joined ? 'outcome outcome-' + joined.outcome : 'muted', title: outside ? OUTSIDE_RING_TITLE : null },
              formatTime(run.attemptTime, job.timeZone) + ' · ' + text);
  }

  function actionButton(action, job, label, extra) {
    return el('button', Object.assign({ type: 'button', 'data-action': action, 'data-job': job.name,
                                        'data-testid': 'btn-' + action }, extra || {}), label);
  }

  function renderJobs() {
    const armed = state.deleteArmed && state.deleteArmed.until > Date.now() ? state.deleteArmed.name : null;
    const view = state.jobs.map((j) => [j.name, j.schedule, j.timeZone, j.state, j.scheduleTime,
                                        state.lastRuns[j.name], joinedOutcome((state.lastRuns[j.name] || {}).messageId),
                                        outsideRing((state.lastRuns[j.name] || {}).attemptTime)]);
    if (!changed('jobs', [view, state.selectedJob, armed])) return;
    replaceRows('jobs-table', state.jobs.map((j) => {
      const id = shortId(j.name);
      const paused = j.state === 'PAUSED';
      return el('tr', { 'data-testid': 'job-row', 'data-job': id,
                        class: j.name === state.selectedJob ? 'selected' : null },
        el('td', {}, el('button', { type: 'button', class: 'link', 'data-action': 'select', 'data-job': j.name,
                                    'data-testid': 'job-name' }, id)),
        el('td', { 'data-testid': 'job-schedule' }, j.schedule || ''),
        el('td', { 'data-testid': 'job-timezone' }, j.timeZone || 'Etc/UTC'),
        el('td', { 'data-testid': 'job-state', 'data-state': j.state || '',
                   class: 'state state-' + String(j.state || '').toLowerCase() }, j.state || '?'),
        el('td', { 'data-testid': 'job-next' }, paused ? 'paused' : formatTime(j.scheduleTime, j.timeZone)),
        lastRunCell(j),
        el('td', { class: 'actions' },
          actionButton('run', j, 'run now'),
          paused ? actionButton('resume', j, 'resume') : actionButton('pause', j, 'pause'),
          actionButton('delete', j, armed === j.name ? 'confirm delete' : 'delete',
                       { class: armed === j.name ? 'danger armed' : 'danger' })));
    }));
  }

  const RUNS_COLUMNS = 11;

  // The selected job from the jobs list, with its runs and next times once its own detail arrived: until then
  // (another job was just chosen) "loading…", never the previous job's.
  function renderDetail() {
    const job = state.jobs.find((j) => j.name === state.selectedJob);
    const d = job && state.detail && state.detail.name === job.name ? state.detail : null;
    const view = job ? [job, d, d ? d.runs.map((r) => [joinedOutcome(r.messageId), outsideRing(r.attemptTime)]) : null]
                     : null;
    if (!changed('detail', view)) return;
    if (!job) {
      setText('detail-job-name', 'choose a job');
      setText('detail-target', '');
      setText('next-times-zone', '');
      replaceRows('next-times', []);
      replaceRows('runs-table', []);
      return;
    }
    setText('detail-job-name', shortId(job.name));
    const t = job.pubsubTarget;
    setText('detail-target', t ? 'publishes to ' + t.topicName + ' · attributes ' +
            (attributesText(t.attributes) || 'none') + ' · data ' + base64ToText(t.data).slice(0, 200)
                               : 'not a Pub/Sub job');
    if (!d) {
      setText('next-times-zone', '');
      replaceRows('next-times', [el('li', { 'data-testid': 'next-times-loading', class: 'muted' }, 'loading…')]);
      replaceRows('runs-table', [el('tr', {}, el('td', { colspan: RUNS_COLUMNS, 'data-testid': 'runs-loading',
                                                          class: 'muted' }, 'loading…'))]);
      return;
    }
    const zone = (d.next && d.next.timeZone) || job.timeZone || 'Etc/UTC';
    setText('next-times-zone', '(' + zone + ')');
    const times = (d.next && d.next.scheduleTimes) || [];
    replaceRows('next-times', times.map((x) => el('li', { 'data-testid': 'next-time', 'data-utc': x.time },
      el('span', { class: 'local' }, x.localTime || ''), el('span', { class: 'muted' }, ' ' + (x.time || '')))));
    replaceRows('runs-table', d.runs.map((r) => {
      const code = r.status && r.status.code ? Number(r.status.code) : 0;
      const joined = joinedOutcome(r.messageId);
      const latest = joined ? joined.latest : {};
      return el('tr', { 'data-testid': 'run-row', 'data-message-id': r.messageId || '',
                        'data-manual': r.manual ? 'true' : 'false' },
        el('td', {}, formatTime(r.scheduleTime, job.timeZone)),
        el('td', {}, formatTime(r.attemptTime, job.timeZone)),
        el('td', {}, r.manual ? 'run now' : 'scheduled' + (r.attempt ? ' (retry ' + r.attempt + ')' : '')),
        el('td', { 'data-testid': 'run-publish', class: code ? 'outcome-bad' : '' },
           code ? 'failed: ' + (r.status.message || 'code ' + code) : 'published'),
        el('td', { 'data-testid': 'run-message-id', class: 'mono' }, r.messageId || ''),
        el('td', { 'data-testid': 'run-backend' }, latest.backend || ''),
        el('td', { 'data-testid': 'run-http-status' }, latest.httpStatus ? String(latest.httpStatus) : ''),
        el('td', { 'data-testid': 'run-attempts' }, latest.attempts !== undefined ? String(latest.attempts) : ''),
        el('td', { 'data-testid': 'run-latency' }, formatLatency(latest.latencyMs)),
        r.messageId ? outcomeCell(joined, 'run-outcome', r.attemptTime)
                    : el('td', { 'data-testid': 'run-outcome', 'data-outcome': 'none', class: 'muted' }, ''),
        el('td', { 'data-testid': 'run-reason' }, latest.reason || ''));
    }));
  }

  function fillSelect(testid, values) {
    const select = $(testid);
    const current = select.value;
    const wanted = ['', ...values];
    const have = [...select.options].map((o) => o.value);
    if (JSON.stringify(have) === JSON.stringify(wanted)) return;
    select.replaceChildren(...wanted.map((v) => el('option', { value: v }, v === '' ? 'all' : (v || '(none)'))));
    select.value = wanted.includes(current) ? current : '';
  }

  function renderDeliveries() {
    const backends = [...new Set(state.deliveries.map((d) => String(d.backend || '')))].sort();
    const outcomes = [...new Set([...KNOWN_OUTCOMES, ...state.deliveries.map((d) => String(d.outcome || ''))])];
    fillSelect('filter-backend', backends.filter((b) => b !== ''));
    fillSelect('filter-outcome', outcomes.filter((o) => o !== ''));
    const shown = state.deliveriesFiltered || state.deliveries;
    if (!changed('deliveries', [shown, state.deliveriesStatus])) return;
    setText('deliveries-count', shown.length + ' shown · ' + state.deliveriesStatus);
    replaceRows('deliveries-table', shown.map((d) => {
      const retried = Number(d.attempts) > 1;
      const outcome = String(d.outcome || '');
      return el('tr', { 'data-testid': 'delivery-row', 'data-message-id': d.messageId || '',
                        'data-outcome': outcome, 'data-backend': d.backend || '' },
        el('td', {}, formatTime(d.time)),
        el('td', { class: 'mono' }, d.messageId || ''),
        el('td', {}, d.backend || ''),
        el('td', {}, (d.attributes && d.attributes.path) || ''),
        el('td', {}, d.deliveryAttempt !== undefined ? String(d.deliveryAttempt) : ''),
        el('td', {}, d.attempts !== undefined ? String(d.attempts) : ''),
        el('td', { 'data-testid': 'delivery-http-status' }, d.httpStatus ? String(d.httpStatus) : ''),
        el('td', {}, formatLatency(d.latencyMs)),
        el('td', { 'data-testid': 'delivery-outcome', class: 'outcome outcome-' + outcome.replace(/[^a-z_]/g, '') },
           outcome.replace(/_/g, ' ') + (retried ? ', retried' : '')),
        el('td', {}, d.reason || ''));
    }));
  }

  function renderDeadLetters() {
    const dl = state.deadLetters;
    if (!changed('deadletters', [dl, state.replaying])) return;
    if (!dl) return;
    const messages = dl.messages || [];
    setText('deadletters-count', '(' + messages.length + ')');
    setText('deadletters-subscription', dl.subscription ? 'from ' + dl.subscription : '');
    $('panel-deadletters').setAttribute('data-count', String(messages.length));
    replaceRows('deadletters-table', messages.map((m) =>
      el('tr', { 'data-testid': 'deadletter-row', 'data-id': m.id || '',
                 'data-original-message-id': m.originalMessageId || '' },
        el('td', {}, formatTime(m.publishTime)),
        el('td', { class: 'mono' }, m.id || ''),
        el('td', { class: 'mono' }, m.originalMessageId || ''),
        el('td', { 'data-testid': 'deadletter-reason', class: 'outcome-bad' }, m.reason || ''),
        el('td', { class: 'attrs' }, attributesText(m.attributes)),
        el('td', {}, m.dataBytes !== undefined ? String(m.dataBytes) : ''),
        el('td', {}, el('button', { type: 'button', 'data-action': 'replay-one', 'data-id': m.id || '',
                                     'data-testid': 'btn-replay-one', disabled: state.replaying }, 'replay')))));
  }

  function renderHealth() {
    const h = state.health;
    const metrics = state.metrics || [];
    // The series with an empty backend counts messages that named no configured backend: it has no circuit.
    const circuits = metrics.filter((s) => s.name === 'schedsvc_circuit_state' && s.labels.backend);
    const held = metrics.filter((s) => s.name === 'schedsvc_messages_held');
    const inFlight = metrics.find((s) => s.name === 'schedsvc_messages_in_flight');
    const view = [h, circuits, held, inFlight, state.demo];
    if (!changed('health', view)) return;

    const components = (h && h.components) || [];
    replaceRows('components', h && h.error ? [el('tr', {}, el('td', { colspan: 4, class: 'outcome-bad' }, h.error))]
      : components.map((c) => el('tr', { 'data-testid': 'component-row', 'data-name': c.name || '',
                                         'data-up': c.up ? 'true' : 'false',
                                         // Only schedule-service reports readiness.
                                         'data-ready': typeof c.ready === 'boolean' ? String(c.ready) : null },
        el('td', {}, c.name || ''),
        el('td', { class: 'mono' }, c.address || ''),
        el('td', { 'data-testid': 'component-state', class: c.up ? 'state-up' : 'state-down' }, c.up ? 'up' : 'down'),
        el('td', { class: 'muted' }, c.detail || ''))));

    const service = components.find((c) => c.name === 'schedule-service');
    const ready = $('service-ready');
    if (!service) {
      ready.textContent = '?';
      ready.setAttribute('data-ready', 'unknown');
      setText('service-ready-reason', '');
    } else {
      ready.textContent = service.ready ? 'ready' : 'not ready';
      ready.setAttribute('data-ready', service.ready ? 'true' : 'false');
      ready.className = service.ready ? 'state-up' : 'state-down';
      setText('service-ready-reason', service.ready ? '' : service.detail || '');
    }
    setText('in-flight', inFlight ? String(inFlight.value) : '?');
    setText('held-total', held.length ? String(held.reduce((a, s) => a + s.value, 0)) : '?');

    const heldBy = Object.fromEntries(held.map((s) => [s.labels.backend || '', s.value]));
    replaceRows('circuits', circuits.map((s) => {
      const backend = s.labels.backend || '';
      const name = CIRCUIT_STATES[s.value] || String(s.value);
      return el('tr', { 'data-testid': 'circuit-row', 'data-backend': backend },
        el('td', {}, backend),
        el('td', { 'data-testid': 'circuit-state', 'data-state': name, class: 'circuit circuit-' + name }, name),
        el('td', {}, heldBy[backend] !== undefined ? String(heldBy[backend]) : ''));
    }));

    const demo = state.demo;
    setText('demo-backend-state', demo ? 'now: fail_rate ' + demo.fail_rate + ', fail_status ' + demo.fail_status +
            ', latency ' + demo.latency : 'demo backend not run by this console');
  }

  // ---------- actions ----------

  function say(testid, text, bad) {
    const node = $(testid);
    node.textContent = text;
    node.classList.toggle('outcome-bad', !!bad);
  }

  async function jobAction(action, name) {
    const id = shortId(name);
    let r;
    if (action === 'delete') {
      if (!state.deleteArmed || state.deleteArmed.name !== name || state.deleteArmed.until < Date.now()) {
        state.deleteArmed = { name, until: Date.now() + CONFIRM_MS };
        renderJobs();
        setTimeout(renderJobs, CONFIRM_MS + 50);
        return;
      }
      state.deleteArmed = null;
      r = await request('DELETE', schedulerUrl('v1/' + encodePath(name)));
    } else {
      r = await request('POST', schedulerUrl('v1/' + encodePath(name) + ':' + action), {});
    }
    say('action-status', r.ok ? id + ': ' + action + ' done' : id + ': ' + action + ' failed: ' + r.error, !r.ok);
    refreshSoon();
  }

  // Which form field a scheduler validation message is about (Google's messages name the field, as whole words).
  function fieldsForError(message) {
    const m = String(message).toLowerCase();
    if (/\bschedule or time zone\b/.test(m)) return ['schedule', 'timezone'];
    if (/\bjob (id|name)\b|\balready exists\b/.test(m)) return ['id'];
    if (/\btopic\b/.test(m)) return ['topic'];
    if (/\btime ?zone\b/.test(m)) return ['timezone'];
    if (/\b(schedule|cron)\b/.test(m)) return ['schedule'];
    if (/\bnon-empty data\b/.test(m)) return ['data'];
    if (/\battributes?\b/.test(m)) return ['attributes'];
    if (/\bdata\b/.test(m)) return ['data'];
    return ['form'];
  }

  // Whether a failed create is the emulator's own verdict in Google's error shape: a validation error (400) or
  // the job id taken (409). Only these go next to a field.
  function isValidationError(r) {
    const e = r.body && typeof r.body === 'object' ? r.body.error : null;
    if (!e || typeof e !== 'object' || typeof e.message !== 'string') return false;
    return r.status === 400 || r.status === 409;
  }

  const FORM_FIELDS = ['id', 'topic', 'schedule', 'timezone', 'data', 'attributes', 'form'];

  function clearFormErrors() {
    for (const f of FORM_FIELDS) {
      setText('error-' + f, '');
      const input = $('field-' + f);
      if (input) input.removeAttribute('aria-invalid');
    }
  }

  function fieldError(field, message) {
    setText('error-' + field, message);
    const input = $('field-' + field);
    if (input) input.setAttribute('aria-invalid', 'true');
  }

  // "KEY=VALUE" lines -> object; throws on a line without "=" or an empty key.
  function parseAttributes(text) {
    const attrs = {};
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const eq = line.indexOf('=');
      if (eq <= 0) throw new Error('line ' + (i + 1) + ' "' + line + '" is not KEY=VALUE');
      attrs[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    });
    return attrs;
  }

  async function createJob(form) {
    clearFormErrors();
    setText('form-status', '');
    if (!state.config) { fieldError('form', 'the console has not read /api/config yet'); return; }
    const v = (n) => form.elements[n].value;
    let attributes;
    try {
      attributes = parseAttributes(v('attributes'));
    } catch (e) {
      fieldError('attributes', e.message);
      return;
    }
    const id = v('id').trim();
    const name = 'projects/' + state.config.project + '/locations/' + state.config.location + '/jobs/' + id;
    const job = {
      name,
      schedule: v('schedule').trim(),
      timeZone: v('timeZone').trim(),
      pubsubTarget: { topicName: v('topic').trim(), attributes },
    };
    if (v('data') !== '') job.pubsubTarget.data = utf8ToBase64(v('data'));
    const r = await request('POST', jobsUrl(), job);
    if (!r.ok) {
      if (isValidationError(r)) {
        for (const f of fieldsForError(r.error)) fieldError(f, r.error);
      } else if (r.status === 0 || r.status >= 500) {
        // The request may have reached the emulator before the failure: the job may exist.
        fieldError('form', r.error + ' (the job may have been created: see the jobs list)');
      } else {
        fieldError('form', r.error);
      }
      return;
    }
    setText('form-status', 'created ' + id);
    state.selectedJob = (r.body && r.body.name) || name;
    refreshSoon();
  }

  // Replay all's button: "confirm replay all" while armed, disabled while a replay is in flight.
  function renderReplayAll() {
    const armed = state.replayArmed !== null && state.replayArmed > Date.now();
    const button = $('btn-replay-all');
    button.textContent = armed ? 'confirm replay all' : 'replay all';
    button.className = armed ? 'danger armed' : '';
    button.disabled = state.replaying;
  }

  // The first click arms replay all; a second within CONFIRM_MS replays every dead letter.
  function replayAll() {
    if (state.replaying) return;
    if (state.replayArmed === null || state.replayArmed < Date.now()) {
      state.replayArmed = Date.now() + CONFIRM_MS;
      renderReplayAll();
      setTimeout(renderReplayAll, CONFIRM_MS + 50);
      return;
    }
    replay(null);
  }

  // Replays the dead letters `ids` (every one when null). One replay at a time: while one is in flight every replay
  // button is disabled (a double click replays once) and further calls do nothing.
  async function replay(ids) {
    if (state.replaying) return;
    const form = $('replay-form');
    const key = form.elements.key.value.trim();
    const body = {};
    if (ids) body.ids = ids;
    if (key) body.setAttributes = { [key]: form.elements.value.value };
    state.replaying = true;
    state.replayArmed = null;
    renderReplayAll();
    renderDeadLetters();
    say('replay-status', 'replaying…');
    let r;
    try {
      r = await request('POST', '/api/deadletters/replay', body, REPLAY_TIMEOUT_MS);
    } finally {
      state.replaying = false;
      renderReplayAll();
      renderDeadLetters();
    }
    if (r.timedOut) {
      // The page stopped waiting; the console server may well still be replaying.
      say('replay-status', 'no answer to the replay within ' + REPLAY_TIMEOUT_MS / 1000 + ' s: it may still be ' +
          'running (see the list at the next poll)', true);
    } else if (!r.ok) {
      say('replay-status', 'replay failed: ' + r.error, true);
    } else {
      const b = r.body || {};
      say('replay-status', 'replayed ' + (b.replayed || 0) + ', skipped ' + (b.skipped || 0) + ', failed ' +
          (b.failed || 0), (b.failed || 0) > 0);
    }
    refreshSoon();
  }

  async function setDemoFailRate(form) {
    const rate = Number(form.elements.failRate.value);
    const r = await request('POST', '/api/demo-backend/config', { fail_rate: rate });
    setText('demo-backend-state', r.ok ? 'set fail_rate ' + rate : 'failed: ' + r.error);
    refreshSoon();
  }

  function wire() {
    $('jobs-table').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-action]');
      if (!button) return;
      const name = button.getAttribute('data-job');
      const action = button.getAttribute('data-action');
      if (action === 'select') {
        state.selectedJob = name;
        // The previous job's detail error is not this one's.
        if (!state.detail || state.detail.name !== name) showError('detail-error', '');
        renderJobs();
        renderDetail();
        refresh('detail');
        return;
      }
      jobAction(action, name);
    });
    $('deadletters-table').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-action="replay-one"]');
      if (button) replay([button.getAttribute('data-id')]);
    });
    $('replay-form').addEventListener('submit', (e) => { e.preventDefault(); replayAll(); });
    $('job-create-form').addEventListener('submit', (e) => { e.preventDefault(); createJob(e.target); });
    $('demo-backend-form').addEventListener('submit', (e) => { e.preventDefault(); setDemoFailRate(e.target); });
    $('deliveries-filter').addEventListener('change', () => refresh('deliveries'));
    $('deliveries-filter').addEventListener('submit', (e) => e.preventDefault());
  }

  wire();
  start();
}());
