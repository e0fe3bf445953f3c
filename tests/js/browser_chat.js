// Drives the chat example in headless Chromium (Debian's package) with playwright-core.
// Usage: node tests/js/browser_chat.js <page url> <transport> <screenshot path>
// Two pages join with nicknames and talk; prints one JSON line with what they saw.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, transport, screenshot] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// htmlfile is IE-only in the client: stand in IE's ActiveXObject('htmlfile') with the
// browser tests' shim (tests/browser/harness.js) before the chat page's scripts run.
const SHIM = fs.readFileSync(path.join(__dirname, '..', 'browser', 'harness.js'), 'utf8') +
  '\nT.shimHtmlfile();\n';

async function join(browser, nickname, errors) {
  const page = await browser.newPage();
  if (transport === 'htmlfile') await page.addInitScript(SHIM);
  page.on('pageerror', (e) => errors.push(`${nickname}: ${e.message}`));
  // Not waiting for 'load': on jsonp-polling the page connects while loading, and each
  // long poll is a <script> the load event waits for, so it may never come.
  await page.goto(`${url}?transport=${encodeURIComponent(transport)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('connected via '));
  await page.fill('#nick', nickname);
  await page.click('#nick-form button');
  await page.waitForFunction(() => !document.getElementById('message').disabled);
  return page;
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const errors = [];
  try {
    const alice = await join(browser, 'alice', errors);
    const bob = await join(browser, 'bob', errors);
    await alice.waitForFunction(() => document.getElementById('nicklist').textContent.includes('bob'));
    const text = 'hi bob </script><b>x</b> \u00e9 \ud83d\ude00';
    await alice.fill('#message', text);
    await alice.click('#send-form button');
    await bob.waitForFunction((t) => document.getElementById('lines').textContent.includes(t), text);
    await bob.screenshot({ path: screenshot });
    const result = {
      status: await bob.textContent('#status'),
      lines: await bob.$$eval('#lines p', (ps) => ps.map((p) => p.textContent)),
      boldInLines: await bob.$$eval('#lines p b', (bs) => bs.map((b) => b.textContent)),
      nicknames: await alice.$$eval('#nicklist li', (lis) => lis.map((li) => li.textContent)),
      errors,
    };
    await bob.close();
    await alice.waitForFunction(() => document.getElementById('lines').textContent.includes('bob disconnected'));
    result.afterLeave = await alice.$$eval('#nicklist li', (lis) => lis.map((li) => li.textContent));
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await browser.close();
  }
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
