// Load generator for the benchmarks: speaks Socket.IO protocol 1 (geventsio, socket.io
// 0.9), Engine.IO 4 / Socket.IO 5 (python-socketio) and plain websocket echo (the raw
// gevent-websocket ceiling) over the `ws` package and node's http, and reports its own CPU.
//
//   node benchmarks/loadgen.js '{"scenario":"echo","proto":"sio1","port":8080,...}'
//
// Prints one JSON line with the results. For the "idle" scenario it prints
// {"ready":N} once N sessions are connected, then holds them until stdin closes.
'use strict';

const http = require('http');
const WebSocket = require('ws');

const opts = Object.assign({
  host: '127.0.0.1',
  clients: 1,        // websocket (or polling) clients
  inflight: 1,       // messages (broadcasts) in flight per client (in total for bcast)
  duration: 5,       // seconds measured
  warmup: 1,         // seconds run before measuring
  concurrency: 50,   // connects in progress at once (connect / idle ramp)
  timeout: 60,       // seconds before giving up entirely
}, JSON.parse(process.argv[2] || '{}'));

// Handshakes share one keep-alive agent; every polling client has its own (see pollAgent).
const sharedAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
// A polling client holds one long poll open and POSTs beside it, as a browser does.
// With `sources: K`, client i connects from 127.0.0.(2 + i % K): K client addresses, for
// a balancer that pins clients by address (the affinity runs of docs/scaling.md).
const pollAgent = (i) => new http.Agent(Object.assign(
  { keepAlive: true, maxSockets: 2, maxFreeSockets: 2 },
  opts.sources ? { localAddress: `127.0.0.${2 + (i % opts.sources)}` } : {}));
const now = () => Number(process.hrtime.bigint()) / 1e6;  // milliseconds, float

// ---- wire formats -------------------------------------------------------------------
// Each protocol knows: where to open a websocket, how to answer its own control frames,
// how to write an event, and how to read the event name / first argument of a message.

function sio1Event(name, arg) { return `5:::{"name":"${name}","args":[${arg}]}`; }
function eio4Event(name, arg) { return `42["${name}",${arg}]`; }

// Return [name, arg as number] of an event message, or null for anything else.
function sio1Read(text) {
  if (text.charCodeAt(0) !== 53) return null;  // '5'
  const body = JSON.parse(text.slice(text.indexOf('{')));
  return [body.name, body.args[0]];
}
function eio4Read(text) {
  if (!text.startsWith('42')) return null;
  const body = JSON.parse(text.slice(2));
  return [body[0], body[1]];
}
function rawRead(text) {
  const name = text.charCodeAt(0) === 98 ? 'bcast' : 'echo';  // 'b'
  return [name, Number(text.slice(text.indexOf('[') + 1, text.lastIndexOf(']')))];
}

function httpGet(path, agent) {
  return httpRequest('GET', path, null, agent);
}

function httpRequest(method, path, body, agent = sharedAgent) {
  return new Promise((resolve, reject) => {
    const headers = body === null ? {} : { 'Content-Type': 'text/plain;charset=UTF-8',
      'Content-Length': Buffer.byteLength(body) };
    const req = http.request({ host: opts.host, port: opts.port, method, path, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text);
        });
      });
    req.on('error', reject);
    req.setNoDelay(true);  // a POST's head and body must not wait for a delayed ACK
    req.end(body === null ? undefined : body);
  });
}

// Open one connected websocket session; resolves to a Conn once the server said
// "connected" (1:: for sio1, 40 for eio4, open for raw).
function openSession(proto, onMessage) {
  if (proto === 'sio1') return openSio1(onMessage);
  if (proto === 'eio4') return openEio4(onMessage);
  return openRaw(onMessage);
}

function wsUrl(path) { return `ws://${opts.host}:${opts.port}${path}`; }

async function openSio1(onMessage) {
  const hs = await httpGet(`/socket.io/1/?t=${Date.now()}`);
  const sid = hs.split(':')[0];
  const ws = new WebSocket(wsUrl(`/socket.io/1/websocket/${sid}`), { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let connected = false;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2::') { ws.send('2::'); return; }
      if (!connected) {
        if (text === '1::') { connected = true; resolve(conn(ws, sio1Event, sio1Read)); }
        return;
      }
      onMessage(text);
    });
    ws.on('error', reject);
    ws.on('close', () => { if (!connected) reject(new Error('closed before 1::')); });
  });
}

function openEio4(onMessage) {
  const ws = new WebSocket(wsUrl('/socket.io/?EIO=4&transport=websocket'), { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let connected = false;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') { ws.send('3'); return; }
      if (!connected) {
        if (text.charCodeAt(0) === 48) ws.send('40');  // '0{...}' engine.io open
        else if (text.startsWith('40')) { connected = true; resolve(conn(ws, eio4Event, eio4Read)); }
        return;
      }
      onMessage(text);
    });
    ws.on('error', reject);
    ws.on('close', () => { if (!connected) reject(new Error('closed before 40')); });
  });
}

function openRaw(onMessage) {
  const ws = new WebSocket(wsUrl('/'), { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(conn(ws, (name, arg) => (name === 'bcast' ? 'b' : '') +
      sio1Event(name, arg), rawRead)));
    ws.on('message', (data) => onMessage(data.toString()));
    ws.on('error', reject);
  });
}

function conn(ws, writeEvent, readEvent) {
  return {
    ws,
    readEvent,
    emit(name, arg) { ws.send(writeEvent(name, arg)); },
    close() { ws.terminate(); },
  };
}

// ---- measurement helpers ------------------------------------------------------------

// Sorted-sample percentile (p in 0..100) of an array of latencies, ms.
function percentile(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return Math.round(sorted[i] * 1000) / 1000;
}

// Runs `warmup` then `duration` seconds; `counter` is reset between the two.
// Returns {seconds, cpu} of the measured part; cpu = share of one core this process used.
function measure(state) {
  return new Promise((resolve) => {
    setTimeout(() => {
      state.count = 0;
      state.latencies = [];
      state.measuring = true;
      const cpu0 = process.cpuUsage();
      const t0 = now();
      setTimeout(() => {
        state.measuring = false;
        const cpu = process.cpuUsage(cpu0);
        const seconds = (now() - t0) / 1000;
        resolve({ seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds });
      }, opts.duration * 1000);
    }, opts.warmup * 1000);
  });
}

function summary(state, timing, extra) {
  const sorted = state.latencies.sort((a, b) => a - b);
  return Object.assign({
    count: state.count,
    rate: state.count / timing.seconds,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    seconds: timing.seconds,
    loadgen_cpu: timing.cpu,
    errors: state.errors,
  }, extra || {});
}

// A kept-alive handshake socket the server has just closed fails the request ("socket
// hang up"); a browser would retry too. Three attempts, then the error stands.
async function openWithRetry(open) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

// Open `n` sessions, `concurrency` at a time.
async function openMany(n, onMessageFor) {
  const conns = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      conns[i] = await openWithRetry(() => openSession(opts.proto, onMessageFor(i)));
    }
  }
  const workers = [];
  for (let w = 0; w < Math.min(opts.concurrency, n); w++) workers.push(worker());
  await Promise.all(workers);
  return conns;
}

// ---- scenarios ----------------------------------------------------------------------

// Every client keeps `inflight` echo events outstanding; each reply is timed.
async function echo() {
  const state = { count: 0, latencies: [], measuring: false, errors: 0 };
  let conns = [];
  const onMessageFor = (i) => (text) => {
    const ev = conns[i].readEvent(text);
    if (ev === null || ev[0] !== 'echo') return;
    if (state.measuring) {
      state.count++;
      state.latencies.push(now() - ev[1]);
    }
    conns[i].emit('echo', now());
  };
  conns = await openMany(opts.clients, onMessageFor);
  for (const c of conns) for (let k = 0; k < opts.inflight; k++) c.emit('echo', now());
  const timing = await measure(state);
  return summary(state, timing, { unit: 'msg/s' });
}

// One client sends `bcast`; the server sends it to all `clients`. `inflight` broadcasts
// are outstanding; one completes when the last client got it (its latency is recorded).
async function bcast() {
  const state = { count: 0, latencies: [], measuring: false, errors: 0, completed: 0 };
  const pending = new Map();  // sent-at timestamp -> clients still to receive it
  let conns = [];
  const send = () => {
    const t = now();
    pending.set(t, conns.length);
    conns[0].emit('bcast', t);
  };
  const onMessageFor = (i) => (text) => {
    const ev = conns[i].readEvent(text);
    if (ev === null || ev[0] !== 'bcast') return;
    if (state.measuring) state.count++;
    const left = pending.get(ev[1]) - 1;
    if (left > 0) { pending.set(ev[1], left); return; }
    pending.delete(ev[1]);
    if (state.measuring) { state.latencies.push(now() - ev[1]); state.completed++; }
    send();
  };
  conns = await openMany(opts.clients, onMessageFor);
  await new Promise((r) => setTimeout(r, 200));  // let the last joins settle
  for (let k = 0; k < opts.inflight; k++) send();
  const timing = await measure(state);
  return summary(state, timing, { unit: 'deliveries/s', broadcasts: state.completed });
}

// Open `clients` sessions and hold them; the runner reads the server's memory meanwhile.
async function idle() {
  const t0 = now();
  const conns = await openMany(opts.clients, () => () => {});
  process.stdout.write(JSON.stringify({ ready: conns.length, seconds: (now() - t0) / 1000 }) + '\n');
  await new Promise((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  for (const c of conns) c.close();
  return { count: conns.length, unit: 'sessions' };
}

// `concurrency` loops, each opening a session (handshake + websocket + connect), then
// closing it, for the duration; counts sessions opened.
async function connect() {
  const state = { count: 0, latencies: [], measuring: false, errors: 0 };
  let running = true;
  async function loop() {
    while (running) {
      const t = now();
      try {
        const c = await openSession(opts.proto, () => {});
        if (state.measuring) { state.count++; state.latencies.push(now() - t); }
        c.close();
      } catch (e) {
        state.errors++;
        if (state.errors > 1000) throw e;
      }
    }
  }
  const loops = [];
  for (let i = 0; i < opts.concurrency; i++) loops.push(loop());
  const timing = await measure(state);
  running = false;
  await Promise.all(loops);
  return summary(state, timing, { unit: 'sessions/s' });
}

// Each client: one long poll always open; POST an echo, wait for it in a poll, repeat.
async function polling() {
  const state = { count: 0, latencies: [], measuring: false, errors: 0 };
  let running = true;
  const client = opts.proto === 'eio4' ? eio4PollClient : sio1PollClient;
  const loops = [];
  for (let i = 0; i < opts.clients; i++) loops.push(client(state, () => running, i));
  const timing = await measure(state);
  running = false;
  await Promise.allSettled(loops);
  return summary(state, timing, { unit: 'round trips/s' });
}

// Split a protocol-1 payload (\ufffd<len>\ufffd<packet>...) into packets.
function sio1Packets(body) {
  if (body.charCodeAt(0) !== 0xfffd) return [body];
  const out = [];
  let i = 0;
  while (i < body.length) {
    const j = body.indexOf('\ufffd', i + 1);
    const len = Number(body.slice(i + 1, j));
    out.push(body.slice(j + 1, j + 1 + len));
    i = j + 1 + len;
  }
  return out;
}

async function sio1PollClient(state, alive, i) {
  const agent = pollAgent(i);
  const sid = (await httpGet(`/socket.io/1/?t=${Date.now()}`, agent)).split(':')[0];
  const base = `/socket.io/1/xhr-polling/${sid}`;
  await httpGet(`${base}?t=${Date.now()}`, agent);  // "1::"
  await pollLoop(state, alive, {
    poll: () => httpGet(`${base}?t=${Date.now()}`, agent).then(sio1Packets),
    post: (text) => httpRequest('POST', `${base}?t=${Date.now()}`, text, agent),
    event: sio1Event,
    read: sio1Read,
    heartbeat: (p) => (p === '2::' ? '2::' : null),
  });
}

async function eio4PollClient(state, alive, i) {
  const agent = pollAgent(i);
  const open = await httpGet(`/socket.io/?EIO=4&transport=polling&t=${Date.now()}`, agent);
  const sid = JSON.parse(open.slice(1)).sid;
  const base = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  await httpRequest('POST', base, '40', agent);
  await httpGet(`${base}&t=${Date.now()}`, agent);  // "40{...}"
  await pollLoop(state, alive, {
    poll: () => httpGet(`${base}&t=${Date.now()}`, agent).then((b) => b.split('\x1e')),
    post: (text) => httpRequest('POST', base, text, agent),
    event: eio4Event,
    read: eio4Read,
    heartbeat: (p) => (p === '2' ? '3' : null),
  });
}

async function pollLoop(state, alive, p) {
  let waiting = null;  // resolve function of the round trip in progress
  const polls = (async () => {
    while (alive()) {
      const packets = await p.poll();
      for (const packet of packets) {
        const answer = p.heartbeat(packet);
        if (answer !== null) { p.post(answer); continue; }
        const ev = p.read(packet);
        if (ev !== null && ev[0] === 'echo' && waiting !== null) {
          const done = waiting;
          waiting = null;
          done(ev[1]);
        }
      }
    }
  })();
  while (alive()) {
    const t = now();
    const got = new Promise((resolve) => { waiting = resolve; });
    await p.post(p.event('echo', t));
    await got;
    if (state.measuring) { state.count++; state.latencies.push(now() - t); }
  }
  await Promise.race([polls, new Promise((r) => setTimeout(r, 100))]);
}

// ---- main ---------------------------------------------------------------------------

const SCENARIOS = { echo, bcast, idle, connect, polling };

async function main() {
  const run = SCENARIOS[opts.scenario];
  if (!run) throw new Error(`unknown scenario ${opts.scenario}`);
  const guard = setTimeout(() => {
    process.stderr.write(`loadgen: gave up after ${opts.timeout}s\n`);
    process.exit(2);
  }, opts.timeout * 1000);
  guard.unref();
  const result = await run();
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`loadgen: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
