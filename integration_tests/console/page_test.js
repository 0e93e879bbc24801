#!/usr/bin/env node
// The console page (src/console/web) in headless /usr/bin/chromium against a fake of the console's /api
// (docs/console.md): what the real pipeline cannot easily produce on demand. Every string the fake returns
// carries markup that would run script if the page parsed it; the page must show it as text. Also: the
// emulator's validation errors land next to the field they name; polls never overlap (a slow route is asked
// again only after it answered, counted in the page); the charts compute deliveries/s and mean latency from /metrics deltas; the
// circuit gauge maps to closed/half-open/open; the deliveries filter asks the service with the filter; replay all
// replays only on its confirming click, and no replay button sends a second replay while one is in flight; a run
// older than the full ring says no outcome among the deliveries read; another job chosen shows "loading…", not the
// previous job's rows; a hung /runs route, or a hung scheduler, leaves Health and Deliveries updating.
//
// Usage: node page_test.js. Exits 0 when every check passed. Every wait is bounded; the fake server and the
// browser are closed on every exit path.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const { closeBrowser, collectPageErrors, launchChromium, log, sleep, text, waitFor } = require('./browser');

const WEB = path.join(__dirname, '..', '..', 'src', 'console', 'web');
const STEP_TIMEOUT_MS = 20000;
// The fake dead-letter route answers this late: longer than the page's 2 s poll interval.
const SLOW_ROUTE_MS = 3000;
// Waited after the scheduler starts hanging, so the requests in flight then are the hung ones.
const POLL_INTERVAL_MARGIN_MS = 3000;
// Per scrape of the fake /metrics: settled deliveries added, and each backend attempt's and end-to-end latency.
const SETTLED_PER_SCRAPE = 6;
const ATTEMPT_LATENCY_S = 0.05;
const E2E_LATENCY_S = 0.4;
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const PROJECT = 'local-project';
const LOCATION = 'us-central1';
const JOB = 'projects/' + PROJECT + '/locations/' + LOCATION + '/jobs/hostile-job';
const MESSAGE_ID = '4242';
// A run whose message the fake ring (full: as many records as its capacity) no longer holds: older than them.
const OLD_MESSAGE_ID = '999';
const OLD_RUN_AGE_MS = 3600 * 1000;
const RING_CAPACITY = 2;
// What the page says of such a run (the fake ring is full: RING_CAPACITY records read): nothing about a ring
// having dropped its outcome, which may as well not be decided yet.
const OUTSIDE_RING_TEXT = 'no outcome among the newest ' + RING_CAPACITY + ' deliveries';
// The many-jobs phase: jobs in the list, and the page's bound on run requests in flight at once.
const MANY_JOBS = 30;
const MAX_RUN_REQUESTS = 2;
const FIXED_ATTEMPT_TIME = '2026-01-01T00:00:00Z';
const CHANGED_ATTEMPT_TIME = '2026-01-01T00:01:00Z';
// The runs-hang phase: every many-job shows this new lastAttemptTime (all stale at once, as at :00).
const STALE_ATTEMPT_TIME = '2026-01-01T00:02:00Z';
// The hang phases: the /runs routes, then every /api/scheduler route, answer this late (longer than the page's 15 s
// time limit); Health and Deliveries must keep updating.
const HANG_MS = 20000;
const UPDATES_WHILE_HUNG = 3;
const HANG_WINDOW_MS = 12000;
// A click on a disabled button is forced (Playwright would otherwise wait for it to be enabled): this long at most.
const FORCED_CLICK_TIMEOUT_MS = 5000;

// ---------- the fake console server ----------

const seen = { requests: {}, deliveryQueries: [], created: [], lastRunRequests: {}, replays: [], deadLetterPolls: [] };
let scrapes = 0;
// Switched on by the later phases of the checks.
// replayHeld: a deferred (below) the fake replay route waits for before it answers, so a replay stays in flight
// until the test, done clicking, resolves it.
const fake = { manyJobs: false, changedJob: null, manyAttemptTime: null, hangRuns: false, hangScheduler: false,
               replayHeld: null, detailHeld: null };
// detailHeld: { job, gate }: the fake's run history (not the last-run read) and next fire times of the many-job
// `job` wait for the deferred `gate`.
let healthAnswers = 0;
let deliveryAnswers = 0;

function fakeMetrics() {
  scrapes++;
  const settled = scrapes * SETTLED_PER_SCRAPE;
  return [
    '# HELP schedsvc_messages_acked_total x',
    '# TYPE schedsvc_messages_acked_total counter',
    'schedsvc_messages_acked_total{backend="demo"} ' + (settled - scrapes),
    'schedsvc_messages_nacked_total{backend="demo",reason="circuit_open"} ' + scrapes,
    'schedsvc_backend_request_duration_seconds_sum{backend="demo"} ' + settled * ATTEMPT_LATENCY_S,
    'schedsvc_backend_request_duration_seconds_count{backend="demo"} ' + settled,
    'schedsvc_end_to_end_latency_seconds_sum{backend="demo"} ' + settled * E2E_LATENCY_S,
    'schedsvc_end_to_end_latency_seconds_count{backend="demo"} ' + settled,
    'schedsvc_circuit_state{backend="demo"} 2',
    'schedsvc_circuit_state{backend="other"} 1',
    'schedsvc_circuit_state{backend=""} 0',
    'schedsvc_messages_held{backend="demo"} 3',
    'schedsvc_messages_held{backend="other"} 0',
    'schedsvc_messages_held{backend=""} 0',
    'schedsvc_messages_in_flight 5',
    '',
  ].join('\n');
}

const now = () => new Date().toISOString();

// A promise with its resolve function outside: the fake waits on it, the test resolves it.
function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

function job() {
  return {
    name: JOB, schedule: '0 3 * * *' + HOSTILE, timeZone: 'Europe/Berlin', state: 'ENABLED', scheduleTime: now(),
    lastAttemptTime: now(), status: {},
    pubsubTarget: { topicName: 'projects/' + PROJECT + '/topics/t', data: Buffer.from(HOSTILE).toString('base64'),
                    attributes: { backend: 'demo', note: HOSTILE } },
  };
}

function otherJob(i) {
  const name = 'projects/' + PROJECT + '/locations/' + LOCATION + '/jobs/many-' + i;
  return { name, schedule: '* * * * *', timeZone: 'Etc/UTC', state: 'ENABLED', scheduleTime: now(),
           lastAttemptTime: fake.manyAttemptTime || (name === fake.changedJob ? CHANGED_ATTEMPT_TIME : FIXED_ATTEMPT_TIME),
           status: {},
           pubsubTarget: { topicName: 'projects/' + PROJECT + '/topics/t', attributes: { backend: 'demo' } } };
}

function delivery(outcome, attempts) {
  return { time: now(), messageId: MESSAGE_ID, publishTime: now(), deliveryAttempt: deliveryAnswers,
           attributes: { path: '/x' + HOSTILE, note: HOSTILE }, backend: 'demo', attempts, httpStatus: 200,
           latencyMs: 12.5, outcome, reason: HOSTILE };
}

function googleError(res, code, message) {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, status: 'INVALID_ARGUMENT' } }));
}

async function handle(req, res, body) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const json = (code, value) => {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(value));
  };
  const file = (name, type) => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': "default-src 'self'" });
    res.end(fs.readFileSync(path.join(WEB, name)));
  };
  if (p === '/') return file('index.html', 'text/html; charset=utf-8');
  if (p === '/app.js') return file('app.js', 'text/javascript; charset=utf-8');
  if (p === '/style.css') return file('style.css', 'text/css; charset=utf-8');
  if (p === '/api/config') {
    return json(200, { project: PROJECT, location: LOCATION, topic: 'projects/' + PROJECT + '/topics/t',
                       deadLetterSubscription: 'projects/' + PROJECT + '/subscriptions/dl' + HOSTILE, ingest: 'pull' });
  }
  if (fake.hangScheduler && p.startsWith('/api/scheduler/')) await sleep(HANG_MS);
  const jobs = '/api/scheduler/v1/projects/' + PROJECT + '/locations/' + LOCATION + '/jobs';
  if (p === jobs && req.method === 'GET') {
    const list = [job()];
    if (fake.manyJobs) for (let i = 0; i < MANY_JOBS; i++) list.push(otherJob(i));
    return json(200, { jobs: list });
  }
  if (p === jobs && req.method === 'POST') {
    const j = JSON.parse(body);
    seen.created.push(j);
    const id = j.name.split('/').pop();
    if (id === 'taken') return googleError(res, 409, 'Job ' + j.name + ' already exists.');
    if (id === 'upstream') {
      return json(502, { error: 'cloud-scheduler-emulator at 127.0.0.1:1: Read timed out (schedule, topic, data)' });
    }
    if (j.pubsubTarget.topicName === 'nope') return googleError(res, 400, 'Invalid topic name: "nope"; expected projects/PROJECT/topics/TOPIC.');
    if (j.schedule === 'bad') return googleError(res, 400, 'Schedule or time zone is invalid.');
    if (!j.pubsubTarget.data && !Object.keys(j.pubsubTarget.attributes || {}).length) {
      return googleError(res, 400, 'Pub/Sub target must have non-empty data or at least one attribute.');
    }
    return googleError(res, 400, HOSTILE);
  }
  if (p.endsWith('/runs')) {
    if (fake.hangRuns) await sleep(HANG_MS);
    if (url.searchParams.get('pageSize') === '1') seen.lastRunRequests[p] = (seen.lastRunRequests[p] || 0) + 1;
    // A many-job's only run is older than every record of the fake ring.
    const many = /\/jobs\/(many-\d+)\/runs$/.exec(p);
    if (many && fake.detailHeld && fake.detailHeld.job === many[1] && url.searchParams.get('pageSize') !== '1') {
      await fake.detailHeld.gate.promise;
    }
    if (many) {
      const old = new Date(Date.now() - OLD_RUN_AGE_MS).toISOString();
      return json(200, { runs: [{ scheduleTime: old, attemptTime: old, attempt: 0, manual: false,
                                  status: { code: 0, message: '' }, messageId: 'old-' + many[1] }] });
    }
    const runs = [{ scheduleTime: now(), attemptTime: now(), attempt: 0, manual: true,
                    status: { code: 0, message: '' }, messageId: MESSAGE_ID }];
    if (url.searchParams.get('pageSize') !== '1') {
      const old = new Date(Date.now() - OLD_RUN_AGE_MS).toISOString();
      runs.push({ scheduleTime: old, attemptTime: old, attempt: 0, manual: false, status: { code: 0, message: '' },
                  messageId: OLD_MESSAGE_ID });
    }
    return json(200, { runs });
  }
  if (p.endsWith('/nextScheduleTimes')) {
    const held = fake.detailHeld;
    if (held && p.endsWith('/jobs/' + held.job + '/nextScheduleTimes')) await held.gate.promise;
    return json(200, { timeZone: 'Europe/Berlin', scheduleTimes: Array.from({ length: 10 }, (_, i) => ({
      time: '2026-03-' + (20 + i) + 'T02:00:00Z', localTime: HOSTILE + i })) });
  }
  if (p === '/api/service/deliveries') {
    seen.deliveryQueries.push(url.search);
    deliveryAnswers++;
    const all = [delivery('delivered', 2), delivery('handed_back', 1)];
    const outcome = url.searchParams.get('outcome');
    return json(200, { capacity: RING_CAPACITY, deliveries: outcome ? all.filter((d) => d.outcome === outcome) : all });
  }
  if (p === '/api/service/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    return res.end(fakeMetrics());
  }
  if (p === '/api/health') {
    healthAnswers++;
    return json(200, { components: [
      { name: 'pubsub-emulator' + HOSTILE, address: '127.0.0.1:1' + HOSTILE, up: true, detail: HOSTILE },
      { name: 'demo-backend', address: '127.0.0.1:2', up: false, detail: 'connection refused #' + healthAnswers },
      { name: 'schedule-service', address: '127.0.0.1:3', up: true, ready: false, detail: 'stream: ' + HOSTILE }] });
  }
  if (p === '/api/deadletters/replay' && req.method === 'POST') {
    seen.replays.push(JSON.parse(body || '{}'));
    if (fake.replayHeld) await fake.replayHeld.promise;
    return json(200, { replayed: 1, skipped: 0, failed: 0 });
  }
  if (p === '/api/deadletters') {
    const poll = { arrived: Date.now(), answered: false };
    seen.deadLetterPolls.push(poll);
    await sleep(SLOW_ROUTE_MS);
    poll.answered = true;
    return json(200, { subscription: 'projects/p/subscriptions/dl', messages: [{
      id: '77', publishTime: now(), attributes: { path: HOSTILE, 'schedsvc.error': HOSTILE }, reason: HOSTILE,
      originalMessageId: MESSAGE_ID + HOSTILE, dataBytes: 3 }] });
  }
  if (p === '/api/demo-backend/config') {
    return json(200, { fail_rate: HOSTILE, fail_status: 503, latency: HOSTILE, status_for_path: {} });
  }
  return json(404, { error: 'no route ' + p });
}

const server = http.createServer((req, res) => {
  const route = new URL(req.url, 'http://x').pathname;
  seen.requests[route] = (seen.requests[route] || 0) + 1;
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    handle(req, res, body).catch((e) => { res.writeHead(500); res.end(String(e)); });
  });
});

// ---------- the checks ----------

let browser = null;

// The trimmed text of the first element with data-testid `testid`.
function textOf(page, testid) { return text(page.locator('[data-testid="' + testid + '"]').first()); }

async function submitForm(page, fields) {
  for (const [testid, value] of Object.entries(fields)) await page.fill('[data-testid="' + testid + '"]', value);
  await page.click('[data-testid="btn-create"]');
}

async function main() {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = 'http://127.0.0.1:' + server.address().port + '/';
  browser = await launchChromium();
  const page = await browser.newPage();
  const pageErrors = collectPageErrors(page);
  // Counts the page's own concurrent fetches per path (Chromium's cache lock would serialize identical GETs
  // before they reach the fake server, hiding an overlap there).
  await page.addInitScript(() => {
    const original = window.fetch;
    window.__inFlight = {};
    window.__maxInFlight = {};
    window.fetch = async (input, init) => {
      const p = new URL(String(input), location.href).pathname;
      window.__inFlight[p] = (window.__inFlight[p] || 0) + 1;
      window.__maxInFlight[p] = Math.max(window.__maxInFlight[p] || 0, window.__inFlight[p]);
      const lastRun = /\/runs\?pageSize=1$/.test(String(input));
      if (lastRun) {
        window.__lastRunsInFlight = (window.__lastRunsInFlight || 0) + 1;
        window.__maxLastRunsInFlight = Math.max(window.__maxLastRunsInFlight || 0, window.__lastRunsInFlight);
      }
      try {
        return await original(input, init);
      } finally {
        window.__inFlight[p]--;
        if (lastRun) window.__lastRunsInFlight--;
      }
    };
  });
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });

  // Every panel filled with hostile strings, shown as text.
  await waitFor('every panel rendered', STEP_TIMEOUT_MS, async () =>
    (await page.locator('[data-testid="deadletter-row"]').count()) === 1 &&
    (await page.locator('[data-testid="delivery-row"]').count()) === 2 &&
    (await page.locator('[data-testid="next-time"]').count()) === 10 &&
    (await page.locator('[data-testid="component-row"]').count()) === 3 &&
    (await page.locator('[data-testid="run-row"]').count()) === 2);
  if ((await page.locator('img').count()) !== 0) throw new Error('an API string was parsed as markup');
  for (const testid of ['panel-health', 'panel-jobs', 'panel-job-detail', 'panel-deliveries', 'panel-deadletters']) {
    const shown = await textOf(page, testid);
    if (!shown.includes(HOSTILE)) throw new Error(testid + ' does not show the hostile string as text');
  }
  log('hostile strings shown as text in every panel');

  // The join: the run's message id found in the deliveries, the newest delivery's outcome, retried.
  const outcome = page.locator('[data-testid="run-outcome"]').first();
  if ((await outcome.getAttribute('data-outcome')) !== 'delivered' || !/retried/.test(await outcome.textContent())) {
    throw new Error('run outcome: ' + (await outcome.textContent()));
  }
  if ((await textOf(page, 'run-http-status')) !== '200') throw new Error('run HTTP status not shown');
  // A run older than every record of the full ring: no outcome among the deliveries read (decided before them, or
  // not yet), not "not decided yet".
  const oldOutcome = page.locator('[data-testid="run-row"][data-message-id="' + OLD_MESSAGE_ID + '"] [data-testid="run-outcome"]');
  await waitFor('the old run outside the ring', STEP_TIMEOUT_MS, async () =>
    (await oldOutcome.getAttribute('data-outcome')) === 'outside_ring' && (await text(oldOutcome)) === OUTSIDE_RING_TEXT);

  // Health: circuit states, readiness and its reason, in flight and held.
  const circuit = (b) => page.locator('[data-testid="circuit-row"][data-backend="' + b + '"] [data-testid="circuit-state"]');
  await waitFor('circuit states', STEP_TIMEOUT_MS, async () => (await circuit('demo').getAttribute('data-state')) === 'open' &&
    (await circuit('other').getAttribute('data-state')) === 'half-open' &&
    (await circuit('').count()) === 0);
  if ((await page.locator('[data-testid="service-ready"]').getAttribute('data-ready')) !== 'false') throw new Error('readiness');
  if (!(await textOf(page, 'service-ready-reason')).includes('stream: ' + HOSTILE)) throw new Error('readiness reason');
  if ((await textOf(page, 'in-flight')) !== '5' || (await textOf(page, 'held-total')) !== '3') throw new Error('in flight / held');
  const componentRow = (name) => page.locator('[data-testid="component-row"][data-name="' + name + '"]');
  if ((await componentRow('demo-backend').getAttribute('data-up')) !== 'false') throw new Error('a down component shown up');
  // Readiness on the row of the component that reports it (schedule-service), on no other row.
  const readyAttrs = [await componentRow('schedule-service').getAttribute('data-ready'),
                      await componentRow('demo-backend').getAttribute('data-ready')];
  if (readyAttrs[0] !== 'false' || readyAttrs[1] !== null) {
    throw new Error('data-ready of the component rows schedule-service, demo-backend: ' + JSON.stringify(readyAttrs));
  }

  // Charts: mean latencies exactly the fake's; deliveries per second positive.
  const chart = page.locator('[data-testid="chart-latency"]');
  await waitFor('chart lines (three scrapes)', STEP_TIMEOUT_MS, async () =>
    (await page.locator('[data-testid="chart-deliveries"] polyline').count()) === 1 &&
    (await page.locator('[data-testid="chart-latency"] polyline').count()) === 2);
  const attemptMs = Number(await chart.getAttribute('data-last-0'));
  const e2eMs = Number(await chart.getAttribute('data-last-1'));
  if (Math.abs(attemptMs - ATTEMPT_LATENCY_S * 1000) > 0.01 || Math.abs(e2eMs - E2E_LATENCY_S * 1000) > 0.01) {
    throw new Error('latency chart ' + attemptMs + ' / ' + e2eMs + ' ms');
  }
  const rate = Number(await page.locator('[data-testid="chart-deliveries"]').getAttribute('data-last-0'));
  if (!(rate > 0 && rate <= SETTLED_PER_SCRAPE)) throw new Error('deliveries per second ' + rate);
  log('charts: attempt', attemptMs, 'ms, end to end', e2eMs, 'ms, deliveries/s', rate.toFixed(2));

  // Validation errors next to the field they name.
  const errorOf = (f) => textOf(page, 'error-' + f);
  await submitForm(page, { 'field-id': 'j1', 'field-schedule': 'bad' });
  await waitFor('schedule error', STEP_TIMEOUT_MS, async () => /Schedule or time zone/.test(await errorOf('schedule')));
  if (!/Schedule or time zone/.test(await errorOf('timezone')) || (await errorOf('topic')) !== '') throw new Error('schedule error placement');
  await submitForm(page, { 'field-schedule': '* * * * *', 'field-topic': 'nope' });
  await waitFor('topic error', STEP_TIMEOUT_MS, async () => /Invalid topic name/.test(await errorOf('topic')));
  if ((await errorOf('schedule')) !== '') throw new Error('the schedule error was not cleared');
  await submitForm(page, { 'field-topic': 'projects/p/topics/t', 'field-id': 'taken' });
  await waitFor('id error', STEP_TIMEOUT_MS, async () => /already exists/.test(await errorOf('id')));
  await submitForm(page, { 'field-id': 'j2', 'field-data': '', 'field-attributes': '' });
  await waitFor('data error', STEP_TIMEOUT_MS, async () => /non-empty data/.test(await errorOf('data')));
  await submitForm(page, { 'field-attributes': 'no equals sign' });
  await waitFor('attributes error', STEP_TIMEOUT_MS, async () => /not KEY=VALUE/.test(await errorOf('attributes')));
  await submitForm(page, { 'field-attributes': 'backend=demo\nnote=' + HOSTILE, 'field-data': 'ü' + HOSTILE });
  await waitFor('form-level error', STEP_TIMEOUT_MS, async () => (await errorOf('form')) === HOSTILE);
  // A failure upstream (not the emulator's validation) names fields in its text: it stays at form level and says
  // the job may exist.
  await submitForm(page, { 'field-id': 'upstream' });
  await waitFor('upstream error at form level', STEP_TIMEOUT_MS, async () =>
    /Read timed out/.test(await errorOf('form')) && /may have been created/.test(await errorOf('form')));
  for (const f of ['id', 'topic', 'schedule', 'timezone', 'data', 'attributes']) {
    if ((await errorOf(f)) !== '') throw new Error('an upstream failure shown under ' + f + ': ' + (await errorOf(f)));
  }
  await submitForm(page, { 'field-id': 'j2' });
  await waitFor('form-level error again', STEP_TIMEOUT_MS, async () => (await errorOf('form')) === HOSTILE);
  const sent = seen.created[seen.created.length - 1];
  if (Buffer.from(sent.pubsubTarget.data, 'base64').toString('utf8') !== 'ü' + HOSTILE ||
      sent.pubsubTarget.attributes.note !== HOSTILE || sent.name !== 'projects/' + PROJECT + '/locations/' + LOCATION + '/jobs/j2') {
    throw new Error('the job sent: ' + JSON.stringify(sent));
  }
  if ((await page.locator('img').count()) !== 0) throw new Error('an error message was parsed as markup');
  log('validation errors next to schedule/time zone, topic, id, data, attributes; others under the button');

  // The deliveries filter is the service's.
  await page.selectOption('[data-testid="filter-outcome"]', 'dead_lettered');
  await waitFor('a filtered deliveries request', STEP_TIMEOUT_MS, async () => seen.deliveryQueries.some((q) => /outcome=dead_lettered/.test(q)));
  await waitFor('no rows for dead_lettered', STEP_TIMEOUT_MS, async () => (await page.locator('[data-testid="delivery-row"]').count()) === 0);
  await page.selectOption('[data-testid="filter-outcome"]', 'handed_back');
  await waitFor('only the handed_back row', STEP_TIMEOUT_MS, async () =>
    (await page.locator('[data-testid="delivery-row"]').count()) === 1 &&
    (await page.locator('[data-testid="delivery-row"][data-outcome="handed_back"]').count()) === 1);
  await page.selectOption('[data-testid="filter-outcome"]', '');
  log('deliveries filter: the rows shown are the filtered ones');

  // No overlapping polls: the slow dead-letter route was asked again and again, never twice at once.
  await waitFor('three dead-letter polls', STEP_TIMEOUT_MS, async () => seen.requests['/api/deadletters'] >= 3);
  const maxInFlight = await page.evaluate(() => window.__maxInFlight);
  if (maxInFlight['/api/deadletters'] !== 1 || maxInFlight['/api/service/metrics'] !== 1) {
    throw new Error('overlapping poll requests: ' + JSON.stringify(maxInFlight));
  }
  log('polls never overlap (most requests in flight at once per path:', JSON.stringify(maxInFlight) + ')');

  // Replay all sends nothing on its first click (it arms); the confirming click sends one replay. While that one is
  // in flight, neither a double click on replay all nor a row's replay sends another.
  const replayAll = page.locator('[data-testid="btn-replay-all"]');
  const replayOne = page.locator('[data-testid="btn-replay-one"]').first();
  fake.replayHeld = deferred();
  await replayAll.click();
  await waitFor('replay all armed (or a replay sent)', STEP_TIMEOUT_MS, async () =>
    seen.replays.length > 0 || (await text(replayAll)) === 'confirm replay all');
  if (seen.replays.length !== 0) throw new Error('one click of replay all sent ' + seen.replays.length + ' POST /api/deadletters/replay');
  await replayAll.click();
  await waitFor('the confirmed replay at the fake', STEP_TIMEOUT_MS, async () => seen.replays.length >= 1);
  if (seen.replays[0].ids !== undefined) throw new Error('replay all sent ids: ' + JSON.stringify(seen.replays[0]));
  // The fake holds its answer until the test releases it: the replay is in flight now, however late the clicks land.
  const disabledInFlight = [await replayAll.isDisabled(), await replayOne.isDisabled()];
  await replayAll.dblclick({ force: true, timeout: FORCED_CLICK_TIMEOUT_MS });
  await replayOne.click({ force: true, timeout: FORCED_CLICK_TIMEOUT_MS });
  const clickedAt = Date.now();
  if ((await textOf(page, 'replay-status')) !== 'replaying…') {
    throw new Error('the replay was not in flight during the clicks: ' + (await textOf(page, 'replay-status')));
  }
  fake.replayHeld.resolve();
  fake.replayHeld = null;
  await waitFor('the replay result', STEP_TIMEOUT_MS, async () => /^replayed 1\b/.test(await textOf(page, 'replay-status')));
  // A replay the clicks started would have been sent before a dead-letter poll begun after them was answered.
  await waitFor('a dead-letter poll begun after the clicks answered', STEP_TIMEOUT_MS, async () =>
    seen.deadLetterPolls.some((x) => x.arrived > clickedAt && x.answered));
  if (seen.replays.length !== 1) {
    throw new Error(seen.replays.length + ' POST /api/deadletters/replay for one confirmed replay all and clicks while it ' +
                    'was in flight: ' + JSON.stringify(seen.replays));
  }
  if (!disabledInFlight.every((d) => d)) {
    throw new Error('replay buttons (all, row) disabled while a replay was in flight: ' + JSON.stringify(disabledInFlight));
  }
  await waitFor('the replay buttons enabled again', STEP_TIMEOUT_MS, async () =>
    !(await replayAll.isDisabled()) && !(await replayOne.isDisabled()) && (await text(replayAll)) === 'replay all');
  log('replay all: the first click armed it, the second sent one replay; clicks while it was in flight sent none');

  // Many jobs: each job's last run is read once, and again only when its lastAttemptTime changed; few at once.
  fake.manyJobs = true;
  const lastRunsOfMany = () => Object.entries(seen.lastRunRequests).filter(([p]) => /\/jobs\/many-/.test(p));
  await waitFor('every job row', STEP_TIMEOUT_MS, async () => (await page.locator('[data-testid="job-row"]').count()) === MANY_JOBS + 1);
  // The jobs table says of a last run outside the ring what the run history says, with the same data-outcome.
  const manyLast = page.locator('[data-testid="job-row"][data-job="many-0"] [data-testid="job-last"]');
  await waitFor('a last run outside the ring in the jobs table', STEP_TIMEOUT_MS, async () =>
    (await manyLast.getAttribute('data-outcome')) === 'outside_ring' && (await text(manyLast)).endsWith(' · ' + OUTSIDE_RING_TEXT));
  await waitFor('every many-job last run read', STEP_TIMEOUT_MS, async () => lastRunsOfMany().length === MANY_JOBS);
  const jobsPolls = () => seen.requests['/api/scheduler/v1/projects/' + PROJECT + '/locations/' + LOCATION + '/jobs'] || 0;
  const pollsBefore = jobsPolls();
  await waitFor('three more jobs polls', STEP_TIMEOUT_MS, async () => jobsPolls() >= pollsBefore + 3);
  const reads = lastRunsOfMany().reduce((a, [, n]) => a + n, 0);
  if (reads !== MANY_JOBS) throw new Error(reads + ' last-run requests for ' + MANY_JOBS + ' unchanged jobs over rounds');
  fake.changedJob = 'projects/' + PROJECT + '/locations/' + LOCATION + '/jobs/many-7';
  const changedPath = '/api/scheduler/emulator/v1/' + fake.changedJob + '/runs';
  await waitFor('the changed job read again', STEP_TIMEOUT_MS, async () => seen.lastRunRequests[changedPath] === 2);
  const runsInFlight = await page.evaluate(() => window.__maxLastRunsInFlight);
  if (!(runsInFlight >= 1 && runsInFlight <= MAX_RUN_REQUESTS)) throw new Error(runsInFlight + ' last-run requests at once');
  log('many jobs: one last-run request per job, again only on a new lastAttemptTime; at most', runsInFlight, 'at once');

  // A click on another job: until its detail arrives the panel shows that job's name and "loading…", never the runs
  // and next fire times of the job it showed before.
  const runRows = page.locator('[data-testid="run-row"]');
  const nextTimes = page.locator('[data-testid="next-time"]');
  await waitFor("the first job's detail", STEP_TIMEOUT_MS, async () =>
    (await textOf(page, 'detail-job-name')) === 'hostile-job' &&
    (await page.locator('[data-testid="run-row"][data-message-id="' + MESSAGE_ID + '"]').count()) === 1);
  const other = 'many-3';
  fake.detailHeld = { job: other, gate: deferred() };
  await page.click('[data-testid="job-row"][data-job="' + other + '"] [data-testid="job-name"]');
  await waitFor(other + ' loading, no row of the job shown before', STEP_TIMEOUT_MS, async () =>
    (await textOf(page, 'detail-job-name')) === other && (await runRows.count()) === 0 && (await nextTimes.count()) === 0 &&
    (await textOf(page, 'runs-loading')) === 'loading…' && (await textOf(page, 'next-times-loading')) === 'loading…');
  fake.detailHeld.gate.resolve();
  await waitFor(other + "'s runs and next fire times", STEP_TIMEOUT_MS, async () =>
    (await runRows.count()) === 1 && (await runRows.first().getAttribute('data-message-id')) === 'old-' + other &&
    (await nextTimes.count()) === 10 && (await page.locator('[data-testid="runs-loading"]').count()) === 0);
  fake.detailHeld = null;
  log('job detail: another job chosen shows loading until its runs and next fire times arrive');

  // How many answers of Health and Deliveries the page shows (the fake numbers them).
  const healthShown = async () => Number(/#(\d+)/.exec(await text(page.locator('[data-testid="component-row"][data-name="demo-backend"]')))[1]);
  const attemptShown = async () => Number(await text(page.locator('[data-testid="delivery-row"][data-outcome="handed_back"] td:nth-child(5)')));

  // Only the /runs routes hang, with every many-job stale: the last-run reads and the detail's runs take at most 3
  // of the 5 shared connections, so Deliveries (and Health, on its own) keep updating.
  fake.manyAttemptTime = STALE_ATTEMPT_TIME;
  fake.hangRuns = true;
  await sleep(POLL_INTERVAL_MARGIN_MS);
  const h1 = await healthShown();
  const d1 = await attemptShown();
  await waitFor('Health and Deliveries updated while the /runs routes hang', HANG_WINDOW_MS, async () =>
    (await healthShown()) >= h1 + UPDATES_WHILE_HUNG && (await attemptShown()) >= d1 + UPDATES_WHILE_HUNG);
  const runsInFlightHung = await page.evaluate(() => window.__maxLastRunsInFlight);
  if (runsInFlightHung > MAX_RUN_REQUESTS) throw new Error(runsInFlightHung + ' last-run requests at once');
  log('with the /runs routes hung, Health went', h1, '->', await healthShown(), 'and Deliveries', d1, '->', await attemptShown());
  fake.hangRuns = false;
  fake.manyJobs = false;

  // One hung component (the scheduler) freezes nothing else: Health and Deliveries keep updating.
  fake.hangScheduler = true;
  await sleep(POLL_INTERVAL_MARGIN_MS);
  const h0 = await healthShown();
  const d0 = await attemptShown();
  await waitFor('Health and Deliveries updated while the scheduler hangs', HANG_WINDOW_MS, async () =>
    (await healthShown()) >= h0 + UPDATES_WHILE_HUNG && (await attemptShown()) >= d0 + UPDATES_WHILE_HUNG);
  log('with the scheduler hung, Health went', h0, '->', await healthShown(), 'and Deliveries', d0, '->', await attemptShown());
  if (pageErrors.length) throw new Error('errors in the page:\n' + pageErrors.join('\n'));
}

async function close() {
  await closeBrowser(browser);
  browser = null;
  server.close();
}

main().then(async () => { await close(); log('PASS'); process.exit(0); },
  async (e) => { console.error('FAIL:', e && e.stack ? e.stack : e); await close(); process.exit(1); });
