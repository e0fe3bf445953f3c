// Soak load: `clients` Socket.IO protocol-1 clients that connect, chat and vanish, over
// and over, for `duration` seconds, against the soak app (benchmarks/servers/soak_app.py).
//
//   node benchmarks/soakclients.js '{"port":8080,"clients":2000,"duration":600}'
//
// Each client slot loops: handshake, open a websocket (or, for `pollingShare` of them, an
// xhr-polling session), join one of `rooms` rooms, send `chat` every ~`chatEvery` s and a
// `ping` with an ack now and then, live `lifetime` s (random between the bounds), then
// vanish in one of four ways, and start again:
//   - "disconnect": says 0:: and closes, as a page that calls socket.disconnect();
//   - "drop": the TCP connection is cut, no close frame, no 0:: (a tab that is killed);
//   - "ghost": stops reading and answering (a phone that lost its network) until the
//     server's heartbeat timeout ends the session; the socket is cut `ghostHold` s later;
//   - "abandon" (polling): stops polling and posting; the server's close timeout ends it.
// Prints a JSON progress line every 10 s and a last line {"done": ...} on stdout.
// Traffic goes to 127.0.0.1 only; the run stops by itself after `duration` s (plus the
// time the last clients take to vanish, at most `ghostHold` s).
'use strict';

const http = require('http');
const WebSocket = require('ws');

const opts = Object.assign({
  host: '127.0.0.1',
  clients: 2000,
  duration: 600,       // seconds of churn
  ramp: 30,            // seconds over which the slots start
  rooms: 100,
  chatEvery: 5,        // mean seconds between chats of one client
  pingEvery: 15,       // mean seconds between acked pings of one client
  lifetime: [5, 60],   // seconds a session lives before it vanishes
  pollingShare: 0.15,  // share of sessions that use xhr-polling
  ghostShare: 0.1,     // share of websocket sessions that vanish as ghosts
  ghostHold: 90,       // seconds a ghost holds its socket before it is cut
  pause: 2,            // most seconds a slot waits before its next session
  progressEvery: 10,
}, JSON.parse(process.argv[2] || '{}'));

if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') throw new Error('loopback only');

const stats = {
  opened: 0, websocket: 0, polling: 0, chats_sent: 0, chats_received: 0, pings: 0,
  acks: 0, errors: 0, disconnect: 0, drop: 0, ghost: 0, abandon: 0, live: 0,
};
const t0 = Date.now();
const end = t0 + opts.duration * 1000;
const lastError = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (a, b) => a + Math.random() * (b - a);
const jitter = (mean) => rand(0.5, 1.5) * mean * 1000;
const event = (name, args, id) => `5:${id === undefined ? '' : id + '+'}::${JSON.stringify({ name, args })}`;

function noteError(err) {
  stats.errors++;
  if (lastError.length < 5) lastError.push(String(err && err.message ? err.message : err));
}

function request(method, path, body, agent) {
  return new Promise((resolve, reject) => {
    const headers = body === null ? {} : { 'Content-Type': 'text/plain;charset=UTF-8',
      'Content-Length': Buffer.byteLength(body) };
    const req = http.request({ host: opts.host, port: opts.port, method, path, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${method} ${path.split('?')[0]}: ${res.statusCode}`));
          else resolve(text);
        });
      });
    req.setTimeout(40000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body === null ? undefined : body);
  });
}

function packets(body) {  // split a protocol-1 payload
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

// What a client does with one packet from the server; `send` writes one packet back.
function onPacket(text, send) {
  if (text === '2::') { send('2::'); return; }
  if (text.startsWith('5:::{"name":"chat"')) { stats.chats_received++; return; }
  if (text.startsWith('6:::')) stats.acks++;
}

// The chatting part of a session: timers that send, until `stop()`.
function chatter(send, room) {
  let pingId = 0;
  send(event('join', [room]));
  const timers = [];
  const chat = () => {
    stats.chats_sent++;
    send(event('chat', [`hello from ${room} at ${Date.now()}`]));
    timers[0] = setTimeout(chat, jitter(opts.chatEvery));
  };
  const ping = () => {
    stats.pings++;
    send(event('ping', [++pingId], pingId));
    timers[1] = setTimeout(ping, jitter(opts.pingEvery));
  };
  timers[0] = setTimeout(chat, jitter(opts.chatEvery));
  timers[1] = setTimeout(ping, jitter(opts.pingEvery));
  return () => timers.forEach(clearTimeout);
}

async function websocketSession(sid, room, lifetime) {
  const ws = new WebSocket(`ws://${opts.host}:${opts.port}/socket.io/1/websocket/${sid}`,
    { perMessageDeflate: false });
  let stop = () => {};
  let ghost = false;
  await new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      if (ghost) return;
      const text = data.toString();
      if (text === '1::') { resolve(); return; }
      onPacket(text, (p) => ws.send(p));
    });
    ws.on('error', (err) => { noteError(err); resolve(); });
    ws.on('close', () => { stop(); resolve(); });
    setTimeout(() => reject(new Error('no 1:: in 20 s')), 20000);
  });
  if (ws.readyState !== WebSocket.OPEN) return;
  stats.websocket++;
  stop = chatter((p) => { if (ws.readyState === WebSocket.OPEN) ws.send(p); }, room);
  await sleep(lifetime);
  stop();
  const way = Math.random() < opts.ghostShare ? 'ghost' : Math.random() < 0.5 ? 'disconnect' : 'drop';
  stats[way]++;
  if (way === 'disconnect') {
    ws.send('0::');
    ws.close();
  } else if (way === 'drop') {
    ws.terminate();
  } else {
    ghost = true;
    if (ws._socket) ws._socket.pause();  // reads nothing more, answers nothing
    await sleep(opts.ghostHold * 1000);
    ws.terminate();
  }
}

async function pollingSession(sid, room, lifetime, agent) {
  const base = `/socket.io/1/xhr-polling/${sid}`;
  let alive = true;
  // A POST still in flight when the client abandons the session is cut by that: no error.
  const post = (p) => request('POST', `${base}?t=${Date.now()}`, p, agent)
    .catch((err) => { if (alive) noteError(err); });
  const polls = (async () => {
    while (alive) {
      const body = await request('GET', `${base}?t=${Date.now()}`, null, agent);
      for (const p of packets(body)) {
        if (p === '0::') { alive = false; return; }
        if (alive) onPacket(p, post);
      }
    }
  })().catch((err) => { if (alive) noteError(err); });
  stats.polling++;
  const stop = chatter(post, room);
  await Promise.race([sleep(lifetime), polls]);
  stop();
  const way = Math.random() < 0.5 ? 'disconnect' : 'abandon';
  stats[way]++;
  if (way === 'disconnect' && alive) await post('0::');
  alive = false;
  agent.destroy();  // the open long poll is cut too
}

async function slot(i) {
  await sleep(Math.random() * opts.ramp * 1000);
  while (Date.now() < end) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const room = `room${i % opts.rooms}`;
    const lifetime = Math.min(rand(opts.lifetime[0], opts.lifetime[1]) * 1000,
      Math.max(0, end - Date.now()));
    stats.live++;
    try {
      const hs = await request('GET', `/socket.io/1/?t=${Date.now()}`, null, agent);
      const sid = hs.split(':')[0];
      stats.opened++;
      if (Math.random() < opts.pollingShare) await pollingSession(sid, room, lifetime, agent);
      else {
        agent.destroy();
        await websocketSession(sid, room, lifetime);
      }
    } catch (err) {
      noteError(err);
      agent.destroy();
      await sleep(1000);
    } finally {
      stats.live--;
    }
    await sleep(Math.random() * opts.pause * 1000);
  }
}

function progress(extra) {
  return JSON.stringify(Object.assign({ t: (Date.now() - t0) / 1000 }, stats,
    { last_errors: lastError }, extra || {})) + '\n';
}

async function main() {
  const timer = setInterval(() => process.stdout.write(progress()), opts.progressEvery * 1000);
  const slots = [];
  for (let i = 0; i < opts.clients; i++) slots.push(slot(i));
  await Promise.all(slots);
  clearInterval(timer);
  process.stdout.write(progress({ done: true }));
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`soakclients: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
