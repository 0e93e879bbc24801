#!/usr/bin/env node
// console_test.js itself, when `schedctl up` fails: runs it with testdata/exiting_schedctl.sh (which prints a line
// and exits 3 at once) and checks that it fails fast, well before its start-up limit, naming schedctl's exit code
// and quoting the end of its output, and that it keeps its work directory and log and says where they are.
// No browser, no pipeline.
//
// Usage: node console_test_harness_test.js. Exits 0 when every check passed. console_test.js is killed by PID if it
// runs longer than HARNESS_TIMEOUT_MS; the files it kept are removed at the end.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const { log } = require('./browser');

const FAKE_SCHEDCTL = path.join(__dirname, 'testdata', 'exiting_schedctl.sh');
const FAKE_EXIT_CODE = 3;
const FAKE_MESSAGE = 'pubsub-emulator exited during start-up (fake schedctl';
// console_test.js must give up well within this; its own start-up limit is 180 s.
const FAIL_FAST_MS = 30000;
const HARNESS_TIMEOUT_MS = 60000;

function runConsoleTest() {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(__dirname, 'console_test.js'), '--schedctl', FAKE_SCHEDCTL],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
    }, HARNESS_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}

async function main() {
  const r = await runConsoleTest();
  // The paths console_test.js says it kept, removed whatever the checks say.
  const kept = /kept for a look: (\S+) and (\S+)/.exec(r.output);
  try {
    if (r.signal) {
      throw new Error('console_test.js was still running after ' + HARNESS_TIMEOUT_MS / 1000 + ' s with schedctl gone ' +
                      '(killed); its output:\n' + r.output);
    }
    if (r.code !== 1) throw new Error('console_test.js exited ' + r.code + ', not 1; its output:\n' + r.output);
    if (r.ms > FAIL_FAST_MS) throw new Error('console_test.js took ' + r.ms + ' ms to notice schedctl exited');
    if (!r.output.includes('code ' + FAKE_EXIT_CODE) || !r.output.includes(FAKE_MESSAGE)) {
      throw new Error('console_test.js did not name schedctl\'s exit code ' + FAKE_EXIT_CODE + ' and quote its output:\n' +
                      r.output);
    }
    if (!kept || !fs.existsSync(kept[1]) || !fs.existsSync(kept[2])) {
      throw new Error('console_test.js did not keep its work directory and log (or say where):\n' + r.output);
    }
  } finally {
    if (kept) for (const p of kept.slice(1)) fs.rmSync(p, { recursive: true, force: true });
  }
  log('console_test.js failed in', r.ms, 'ms, naming schedctl\'s exit code and output, and kept', kept[1], 'and', kept[2]);
}

main().then(() => { log('PASS'); process.exit(0); },
  (e) => { console.error('FAIL:', e && e.stack ? e.stack : e); process.exit(1); });
