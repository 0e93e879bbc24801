#!/usr/bin/env node
// The console in a real browser (docs/console.md, "How it is tested"): starts `schedctl up` on free ports
// with its console, drives Debian's headless /usr/bin/chromium with playwright-core and checks the issue's
// scenarios: the health panel shows every component up and schedule-service ready; the page loads with the
// sample job; "run now" produces a run shown as delivered with HTTP 200;
// pause and resume change the state; the create form shows the emulator's validation error next to the
// field; a message with an invalid path shows up under Dead letters with its reason, and replaying it with
// a corrected attribute empties the list; hostile attribute values stay text; the health panel shows the
// backend's circuit open while the demo backend fails. Saves a full-page screenshot.
//
// Usage: node console_test.js --schedctl BUILD/src/cli/schedctl [--screenshot PATH] [--web DIR]
//        (or CONSOLE_SCREENSHOT=PATH). Exits 0 when every check passed. --web DIR: the page's files
//        (index.html, app.js, style.css) come from DIR, e.g. src/console/web, instead of those built into
//        schedctl (with the console's own headers), to test a page edited since schedctl was built.
// Every wait is bounded, and ends at once when schedctl up has exited (with its exit code and the end of its
// output); schedctl (and through it every process it started) is stopped by PID on every exit path, and
// `--duration` stops it by itself should this script be killed outright. On success the work directory and log
// it made under /tmp are removed; on failure they are kept and their paths printed.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const { closeBrowser, collectPageErrors, launchChromium, log, sleep, text, waitFor: waitForCheck } = require('./browser');

// The pipeline's start-up: the Java Pub/Sub emulator alone can take a minute on a busy machine.
const START_TIMEOUT_MS = 180000;
// schedctl stops itself after this long even if this script dies without stopping it (above ctest's limit).
const SCHEDCTL_DURATION_S = 900;
// After SIGINT, schedctl gives each child 10 s; then SIGKILL.
const STOP_TIMEOUT_MS = 60000;
// One UI expectation (a poll is every 2 s; a delivery through the emulator takes a few seconds).
const STEP_TIMEOUT_MS = 60000;
// A dead letter appears after the service's publish and the console's next pull.
const DEAD_LETTER_TIMEOUT_MS = 90000;
// Runs of the sample job while the demo backend fails, until its circuit opens (local stack defaults:
// circuit_breaker.consecutive_failures 10, or failure_rate_threshold 0.5 over minimum_requests 10 in 30 s;
// each message is retried in the pod from 1 s backoff, so a few runs give 10 failed attempts quickly).
const CIRCUIT_RUNS_MAX = 20;
const CIRCUIT_RUN_EVERY_MS = 2000;
const CIRCUIT_TIMEOUT_MS = 120000;
const SAMPLE_JOB = 'sample-every-minute';
const BAD_JOB = 'console-bad-path';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
// The components /api/health lists; schedule-service alone reports readiness.
const COMPONENTS = ['pubsub-emulator', 'cloud-scheduler-emulator', 'demo-backend', 'schedule-service'];
// The end of schedctl up's output quoted when it exited early.
const LOG_TAIL_LINES = 30;
// The end of schedctl up's output printed on any other failure.
const LOG_TAIL_CHARS = 6000;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let up = null;
let upExited = false;
let upExit = '';
let browser = null;
let workdir = '';
let upLogPath = '';

async function stopEverything() {
  if (browser) {
    const b = browser;
    browser = null;
    await closeBrowser(b);
  }
  if (up && !upExited) {
    const child = up;
    const exited = new Promise((r) => child.once('exit', r));
    try { process.kill(child.pid, 'SIGINT'); } catch (e) { /* already gone */ }
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      log('schedctl up did not stop within', STOP_TIMEOUT_MS / 1000, 's after SIGINT: SIGKILL pid', child.pid);
      try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
      await Promise.race([exited, sleep(5000)]);
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log('got', sig, '- stopping what this test started');
    stopEverything().finally(() => { keepTemporaryFiles(); process.exit(1); });
  });
}

function readLog() {
  try { return fs.readFileSync(upLogPath, 'utf8'); } catch (e) { return ''; }
}

// Why waiting is pointless once schedctl up has exited (nothing on the page can change any more), or ''.
function schedctlGone() {
  if (!upExited) return '';
  const tail = readLog().trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return 'schedctl up exited with ' + upExit + '; the end of its output (' + upLogPath + '):\n' + tail;
}

// Every wait of this test: bounded by `timeoutMs`, and over at once when schedctl up has exited.
function waitFor(what, timeoutMs, check) { return waitForCheck(what, timeoutMs, check, schedctlGone); }

// The files this test made under /tmp: removed after a pass, kept (and named) after a failure.
function removeTemporaryFiles() {
  for (const p of [workdir, upLogPath]) if (p) fs.rmSync(p, { recursive: true, force: true });
}

function keepTemporaryFiles() {
  if (workdir) console.error('kept for a look: ' + workdir + ' and ' + upLogPath);
}

async function startUp(schedctl) {
  const ports = {};
  for (const name of ['pubsub', 'scheduler', 'backend', 'admin', 'console']) ports[name] = await freePort();
  workdir = '/tmp/schedctl-console-test-' + process.pid;
  upLogPath = workdir + '.log';
  const out = fs.openSync(upLogPath, 'w');
  const argv = ['up', '--workdir', workdir, '--status-interval=5', '--duration=' + SCHEDCTL_DURATION_S,
                '--pubsub-port=' + ports.pubsub, '--scheduler-port=' + ports.scheduler,
                '--backend-port=' + ports.backend, '--admin-port=' + ports.admin,
                '--console-port=' + ports.console];
  log('starting', schedctl, argv.join(' '), '(log', upLogPath + ')');
  up = spawn(schedctl, argv, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  up.once('exit', (code, signal) => {
    upExited = true;
    upExit = signal ? 'signal ' + signal : 'code ' + code;
    log('schedctl up exited with', upExit);
  });
  const url = await waitFor('the console URL in the banner of schedctl up', START_TIMEOUT_MS, async () => {
    const m = /console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(readLog());
    // The banner comes after the sample job exists: everything is up.
    return m && /The local pipeline is up/.test(readLog()) ? m[1] : null;
  });
  if (url !== 'http://127.0.0.1:' + ports.console + '/') throw new Error('console URL ' + url + ' is not on --console-port');
  return url;
}

// The health panel right after start: a row per component, each up, schedule-service also ready.
async function checkHealth(page) {
  const components = await waitFor('every component up and schedule-service ready in the health panel',
    STEP_TIMEOUT_MS, async () => {
      const rows = await page.locator('[data-testid="component-row"]').evaluateAll((rs) => rs.map((r) =>
        ({ name: r.getAttribute('data-name'), up: r.getAttribute('data-up'), ready: r.getAttribute('data-ready') })));
      const byName = Object.fromEntries(rows.map((c) => [c.name, c]));
      const service = byName['schedule-service'];
      const allUp = COMPONENTS.every((n) => byName[n] && byName[n].up === 'true');
      // Thrown, the rows seen last end up in the time-out message.
      if (rows.length !== COMPONENTS.length || !allUp || service.ready !== 'true') throw new Error(JSON.stringify(rows));
      return rows;
    });
  for (const c of components) {
    if (c.name !== 'schedule-service' && c.ready !== null) throw new Error(c.name + ' has data-ready ' + c.ready);
  }
  if ((await page.locator('[data-testid="service-ready"]').getAttribute('data-ready')) !== 'true') {
    throw new Error('the readiness line does not say ready: ' + (await text(page.locator('[data-testid="service-ready"]'))));
  }
  log('health: ' + components.map((c) => c.name).join(', ') + ' up; schedule-service ready');
}

// Serves the page's own files from `dir` in place of the console's, keeping the console's status and headers (its
// Content-Security-Policy among them); every /api route still reaches the console.
async function serveWebFrom(page, url, dir) {
  const files = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
  const origin = new URL(url).origin;
  await page.route((u) => u.origin === origin && files[u.pathname] !== undefined, async (route) => {
    try {
      const response = await route.fetch();
      const headers = Object.assign({}, response.headers());
      delete headers['content-length'];
      const file = path.join(dir, files[new URL(route.request().url()).pathname]);
      await route.fulfill({ status: response.status(), headers, body: fs.readFileSync(file) });
    } catch (e) {
      // The console gone (or the file missing): the page's load fails, and with it the step that waits for it.
      log('cannot serve', route.request().url(), 'from', dir + ':', e.message.split('\n')[0]);
      await route.abort().catch(() => {});
    }
  });
  log('the page\'s files from', path.resolve(dir));
}

function row(page, job) { return page.locator('[data-testid="job-row"][data-job="' + job + '"]'); }

async function selectJob(page, job) {
  await row(page, job).locator('[data-testid="job-name"]').click();
  await waitFor('job detail of ' + job, STEP_TIMEOUT_MS,
    async () => (await text(page.locator('[data-testid="detail-job-name"]'))) === job);
}

async function runIds(page) {
  return page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message-id')));
}

async function checkSampleJobAndRunNow(page) {
  await waitFor('the sample job in the jobs table', STEP_TIMEOUT_MS, async () => (await row(page, SAMPLE_JOB).count()) === 1);
  await selectJob(page, SAMPLE_JOB);
  // The emulator's next fire times: ten of them, in the job's zone.
  await waitFor('10 next fire times', STEP_TIMEOUT_MS,
    async () => (await page.locator('[data-testid="next-time"]').count()) === 10);
  await waitFor('the first run of the sample job in the run history', STEP_TIMEOUT_MS,
    async () => (await page.locator('[data-testid="run-row"]').count()) >= 1);
  const before = new Set(await runIds(page));
  await row(page, SAMPLE_JOB).locator('[data-testid="btn-run"]').click();
  const newRow = await waitFor('a new manual run with a message id', STEP_TIMEOUT_MS, async () => {
    const rows = page.locator('[data-testid="run-row"][data-manual="true"]');
    const ids = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-message-id')));
    const id = ids.find((x) => x && !before.has(x));
    return id ? page.locator('[data-testid="run-row"][data-message-id="' + id + '"]') : null;
  });
  await waitFor('the run shown as delivered with HTTP 200', STEP_TIMEOUT_MS, async () =>
    (await newRow.locator('[data-testid="run-outcome"]').getAttribute('data-outcome')) === 'delivered' &&
    (await text(newRow.locator('[data-testid="run-http-status"]'))) === '200');
  log('run now: delivered, HTTP 200, backend', await text(newRow.locator('[data-testid="run-backend"]')));
  await waitFor('the jobs table showing the last run delivered', STEP_TIMEOUT_MS, async () =>
    (await row(page, SAMPLE_JOB).locator('[data-testid="job-last"]').getAttribute('data-outcome')) === 'delivered');
}

async function checkPauseResume(page) {
  const state = () => row(page, SAMPLE_JOB).locator('[data-testid="job-state"]').getAttribute('data-state');
  await row(page, SAMPLE_JOB).locator('[data-testid="btn-pause"]').click();
  await waitFor('the sample job PAUSED', STEP_TIMEOUT_MS, async () => (await state()) === 'PAUSED');
  await row(page, SAMPLE_JOB).locator('[data-testid="btn-resume"]').click();
  await waitFor('the sample job ENABLED again', STEP_TIMEOUT_MS, async () => (await state()) === 'ENABLED');
  log('pause and resume: PAUSED, then ENABLED');
}

async function checkCreateFormAndDeadLetter(page) {
  await page.fill('[data-testid="field-id"]', BAD_JOB);
  // Never fires during the test: it runs only when the test says "run now".
  await page.fill('[data-testid="field-schedule"]', 'not a schedule');
  await page.fill('[data-testid="field-attributes"]', 'backend=demo\npath=no-leading-slash\nnote=' + HOSTILE);
  await page.click('[data-testid="btn-create"]');
  const scheduleError = await waitFor('the emulator\'s error next to the schedule field', STEP_TIMEOUT_MS,
    async () => text(page.locator('[data-testid="error-schedule"]')));
  log('validation error next to the schedule field:', scheduleError);
  if ((await text(page.locator('[data-testid="error-attributes"]'))) !== '') throw new Error('error shown next to attributes');
  await page.fill('[data-testid="field-schedule"]', '0 0 1 1 *');
  await page.click('[data-testid="btn-create"]');
  await waitFor('the new job in the table', STEP_TIMEOUT_MS, async () => (await row(page, BAD_JOB).count()) === 1);
  if ((await text(page.locator('[data-testid="error-schedule"]'))) !== '') throw new Error('schedule error not cleared');

  await row(page, BAD_JOB).locator('[data-testid="btn-run"]').click();
  const dead = await waitFor('the message with the invalid path under Dead letters', DEAD_LETTER_TIMEOUT_MS, async () => {
    const rows = page.locator('[data-testid="deadletter-row"]');
    const n = await rows.count();
    for (let i = 0; i < n; i++) {
      const reason = await text(rows.nth(i).locator('[data-testid="deadletter-reason"]'));
      if (/invalid path/i.test(reason)) return { row: rows.nth(i), reason };
    }
    return null;
  });
  log('dead letter reason:', dead.reason);

  // The hostile attribute value is on the page as text and nowhere as markup.
  const pwned = await page.evaluate(() => window.__pwned);
  const images = await page.locator('img').count();
  const shown = await page.locator('[data-testid="panel-deadletters"]').textContent();
  if (pwned !== undefined || images !== 0) throw new Error('an attribute value was rendered as markup');
  if (!shown.includes(HOSTILE)) throw new Error('the hostile attribute value is not shown as text');

  await page.fill('[data-testid="replay-attr-key"]', 'path');
  await page.fill('[data-testid="replay-attr-value"]', '/jobs/fixed-by-console');
  await dead.row.locator('[data-testid="btn-replay-one"]').click();
  await waitFor('the replay result', STEP_TIMEOUT_MS,
    async () => /replayed 1/.test(await text(page.locator('[data-testid="replay-status"]'))));
  await waitFor('an empty dead-letter list', STEP_TIMEOUT_MS,
    async () => (await page.locator('[data-testid="deadletter-row"]').count()) === 0 &&
                (await page.locator('[data-testid="panel-deadletters"]').getAttribute('data-count')) === '0');
  await waitFor('the replayed copy delivered with the corrected path', STEP_TIMEOUT_MS, async () =>
    (await page.locator('[data-testid="delivery-row"][data-outcome="delivered"]',
                        { hasText: '/jobs/fixed-by-console' }).count()) >= 1);
  log('replay with path=/jobs/fixed-by-console: dead letters empty, the copy delivered');
}

async function checkCircuitOpens(page) {
  const circuit = page.locator('[data-testid="circuit-row"][data-backend="demo"] [data-testid="circuit-state"]');
  await waitFor('the demo backend\'s circuit closed', STEP_TIMEOUT_MS,
    async () => (await circuit.getAttribute('data-state')) === 'closed');
  await page.fill('[data-testid="demo-fail-rate"]', '1');
  await page.click('[data-testid="btn-demo-apply"]');
  await waitFor('the demo backend failing', STEP_TIMEOUT_MS,
    async () => /fail_rate 1\b/.test(await text(page.locator('[data-testid="demo-backend-state"]'))));
  const deadline = Date.now() + CIRCUIT_TIMEOUT_MS;
  let runs = 0;
  while (Date.now() < deadline) {
    const gone = schedctlGone();
    if (gone) throw new Error('stopped waiting for the demo backend\'s circuit to open: ' + gone);
    if ((await circuit.getAttribute('data-state')) === 'open') break;
    if (runs < CIRCUIT_RUNS_MAX) {
      await row(page, SAMPLE_JOB).locator('[data-testid="btn-run"]').click();
      runs++;
    }
    await sleep(CIRCUIT_RUN_EVERY_MS);
  }
  const state = await circuit.getAttribute('data-state');
  if (state !== 'open') throw new Error('the demo backend\'s circuit is ' + state + ' after ' + runs + ' failing runs');
  log('circuit of demo: open after', runs, 'runs with fail_rate 1');
}

async function main() {
  const schedctl = arg('--schedctl');
  const screenshot = arg('--screenshot') || process.env.CONSOLE_SCREENSHOT || '';
  const web = arg('--web');
  if (!schedctl) throw new Error('usage: console_test.js --schedctl PATH [--screenshot PATH] [--web DIR]');
  const url = await startUp(schedctl);
  log('console at', url);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors = collectPageErrors(page);
  if (web) await serveWebFrom(page, url, web);
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });

  await checkHealth(page);
  await checkSampleJobAndRunNow(page);
  await checkPauseResume(page);
  await checkCreateFormAndDeadLetter(page);
  await checkCircuitOpens(page);

  if (screenshot) {
    // The sample job in Job detail: its fire times and its delivered and failing runs.
    await selectJob(page, SAMPLE_JOB);
    await page.screenshot({ path: screenshot, fullPage: true });
    log('screenshot', path.resolve(screenshot));
  }
  if (pageErrors.length) throw new Error('errors in the page:\n' + pageErrors.join('\n'));
}

main().then(async () => {
  await stopEverything();
  removeTemporaryFiles();
  log('PASS');
  process.exit(0);
}, async (e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  // When schedctl up's exit ended a wait, the message quotes the end of its output already.
  if (!/schedctl up exited with/.test(String(e && e.message))) console.error('--- the end of schedctl up\'s output ---\n' + readLog().slice(-LOG_TAIL_CHARS));
  await stopEverything();
  keepTemporaryFiles();
  process.exit(1);
});
