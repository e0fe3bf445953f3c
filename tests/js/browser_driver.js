// One headless Chromium (Debian's package) for a whole pytest module, driven by JSON lines.
// Usage: node tests/js/browser_driver.js            (Python side: tests/browser.py)
//
// stdin, one command per line:  {"id": 7, "op": "...", ...}
// stdout, one answer per line:  {"id": 7, "ok": true, "value": ...}
//                               {"id": 7, "ok": false, "error": "..."}
// and once, first:              {"ready": true, "version": "<chromium version>"}
// Commands run concurrently (a long "wait" does not hold up the others); answers carry
// the id of their command.
//
// ops:
//   open       {page, url}             new page (own browser context: no shared cookies),
//                                      collects page errors and console errors, goto url
//   eval       {page, fn, arg}         fn: source of a JS function, run in the page as
//                                      fn(arg); the (awaited) result is the value
//   wait       {page, fn, arg, limit}  poll fn(arg) in the page until truthy (at most limit
//                                      ms); the value is what it returned
//   screenshot {page, path}
//   errors     {page}                  page errors and console errors seen so far
//   close      {page}
// stdin closing ends the process: the browser is closed, pending commands are dropped.
'use strict';
const readline = require('readline');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows'];

// Runs in the page: turn the function source back into a function and call it.
const CALL = ([src, arg]) => (0, eval)('(' + src + ')')(arg);

const pages = new Map();   // name -> {page, context, errors}

function answer(msg) { process.stdout.write(JSON.stringify(msg) + '\n'); }

function pageOf(cmd) {
  const entry = pages.get(cmd.page);
  if (!entry) throw new Error(`no page ${JSON.stringify(cmd.page)}`);
  return entry;
}

const ops = {
  async open(browser, cmd) {
    if (pages.has(cmd.page)) throw new Error(`page ${cmd.page} is already open`);
    const context = await browser.newContext();
    const page = await context.newPage();
    const entry = { page, context, errors: [] };
    pages.set(cmd.page, entry);
    page.on('pageerror', (e) => entry.errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') entry.errors.push(`console: ${m.text()}`); });
    await page.goto(cmd.url);
    return page.url();
  },
  async eval(browser, cmd) {
    return pageOf(cmd).page.evaluate(CALL, [cmd.fn, cmd.arg === undefined ? null : cmd.arg]);
  },
  async wait(browser, cmd) {
    const handle = await pageOf(cmd).page.waitForFunction(
      CALL, [cmd.fn, cmd.arg === undefined ? null : cmd.arg],
      { timeout: cmd.limit || 15000, polling: 25 });
    const value = await handle.jsonValue();
    await handle.dispose();
    return value;
  },
  async screenshot(browser, cmd) {
    await pageOf(cmd).page.screenshot({ path: cmd.path });
    return cmd.path;
  },
  async errors(browser, cmd) { return pageOf(cmd).errors.slice(); },
  async close(browser, cmd) {
    const entry = pageOf(cmd);
    pages.delete(cmd.page);
    await entry.context.close();
    return entry.errors;
  },
};

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  answer({ ready: true, version: browser.version() });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let cmd;
    try { cmd = JSON.parse(line); } catch (e) { answer({ id: null, ok: false, error: `bad JSON: ${line}` }); return; }
    const op = ops[cmd.op];
    const run = op ? op(browser, cmd) : Promise.reject(new Error(`unknown op ${cmd.op}`));
    run.then((value) => answer({ id: cmd.id, ok: true, value: value === undefined ? null : value }),
      (e) => answer({ id: cmd.id, ok: false, error: String(e && e.message || e) }));
  });
  lines.on('close', async () => {
    await browser.close();  // pending commands fail; nobody reads their answers now
    process.exit(0);
  });
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
