// What the console's browser tests (console_test.js, page_test.js) share: Debian's headless /usr/bin/chromium
// through playwright-core, a page that collects its own errors, bounded waits and a log line with the time.
'use strict';

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('FAIL: playwright-core is not installed next to this script; run `npm ci` in ' + __dirname +
                ' (scripts/test.sh does)\n' + e.message);
  process.exit(1);
}

const CHROMIUM = '/usr/bin/chromium';
// How often waitFor asks again.
const POLL_MS = 250;
// How long text() waits for its element.
const TEXT_TIMEOUT_MS = 5000;
// How long closeBrowser waits for Chromium to close.
const CLOSE_TIMEOUT_MS = 10000;

function log(...parts) { console.log(new Date().toISOString().slice(11, 19), ...parts); }

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Polls `check` (async, returns a truthy value when done) every POLL_MS up to `timeoutMs`; returns that value.
// `stop` (optional) returns why waiting longer is pointless (e.g. the process under test exited), or '': when it
// returns a reason, waitFor throws at once with it instead of polling on until the time limit.
async function waitFor(what, timeoutMs, check, stop) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const reason = stop ? stop() : '';
    if (reason) throw new Error('stopped waiting for ' + what + ': ' + reason);
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(POLL_MS);
  }
  throw new Error('timed out after ' + timeoutMs / 1000 + ' s waiting for ' + what + (last ? ' (' + last.message + ')' : ''));
}

// The trimmed text of `locator` ('' for none).
async function text(locator) { return ((await locator.textContent({ timeout: TEXT_TIMEOUT_MS })) || '').trim(); }

function launchChromium() { return chromium.launch({ executablePath: CHROMIUM, headless: true }); }

// Closes `browser` (nothing for null), giving up after CLOSE_TIMEOUT_MS: a hung Chromium must not keep the test
// from exiting.
async function closeBrowser(browser) {
  if (browser) await Promise.race([browser.close().catch(() => {}), sleep(CLOSE_TIMEOUT_MS)]);
}

// Returns the array `page`'s script errors and CSP violations are pushed to as they happen. A failed resource
// load (a 404 favicon, a 502 while a component starts) is the page's business, not an error here.
function collectPageErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return errors;
}

module.exports = { closeBrowser, collectPageErrors, launchChromium, log, sleep, text, waitFor };
