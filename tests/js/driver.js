#!/usr/bin/env node
/*
 * Test driver for the real socket.io-client 0.9.16 (node build).
 *
 * Protocol: JSON commands on stdin, one per line; JSON reports on stdout, one
 * per line.  Nothing else is ever written to stdout (console.* goes to stderr).
 * The driver never exits because of a bad command or a client library error;
 * it reports {ev: 'fatal', message} instead.  It exits when stdin closes.
 *
 * Commands ("op"):
 *   connect   {client, url, transport, reconnect?, options?, query?, packets?}
 *   of        {client, ns, rejoin?}
 *   emit      {client, ns?, name, args?, ack?}
 *   send      {client, ns?, data, ack?}
 *   json      {client, ns?, data, ack?}
 *   reply     {client, ns?, name, args?}          (args null/absent: forget)
 *   disconnect{client, ns?}
 *   drop      {client, reset?}
 *   state     {client}
 *   ping      {token}
 *
 * Reports ("ev"): connect, disconnect, error, connecting, connect_failed,
 *   reconnect, reconnecting, reconnect_failed, event, ack, packet, dropped,
 *   state, pong, fatal.  See tests/nodeclient.py for the full description.
 */
'use strict';

// The client library's modules check `typeof io` for a global called `io`;
// make sure we never define one.  Keep stdout for reports only.
console.log = console.info = console.debug = function () {
  console.error.apply(console, arguments);
};

var sio = require('socket.io-client');

// Test-only option 'poll gap' (ms): an xhr-polling client that waits this long before
// each new poll, as a slow network or a busy page does. The library's own request code
// still makes every poll; only its start is delayed.
(function spacePolls() {
  var proto = sio.Transport['xhr-polling'].prototype;
  var get = proto.get;
  proto.get = function () {
    var self = this;
    var gap = self.socket && self.socket.options && self.socket.options['poll gap'];
    if (!gap) return get.apply(self, arguments);
    setTimeout(function () { get.call(self); }, gap);
  };
})();

var LIFECYCLE = {
  connect: true, disconnect: true, error: true, connecting: true,
  connect_failed: true, reconnect: true, reconnecting: true,
  reconnect_failed: true
};
var DATA_PACKETS = { event: true, message: true, json: true };

var clients = Object.create(null);   // client id -> record
var stdoutBroken = false;

function noop() {}

// ---------------------------------------------------------------- output

function report(obj) {
  if (stdoutBroken) return;
  var line;
  try {
    line = JSON.stringify(obj);
  } catch (e) {
    line = JSON.stringify({ ev: 'fatal', message: 'unserialisable report: ' + e.message,
                            client: obj && obj.client });
  }
  try {
    process.stdout.write(line + '\n');
  } catch (e) {
    stdoutBroken = true;
  }
}

process.stdout.on('error', function (err) {
  // The reading side went away (EPIPE): nobody listens any more.
  stdoutBroken = true;
  process.exit(0);
});

function errText(e) {
  if (e === undefined || e === null) return null;
  if (e instanceof Error) return (e.code ? e.code + ': ' : '') + e.message;
  if (typeof e === 'string') return e;
  try { return JSON.stringify(e); } catch (x) { return String(e); }
}

// Turn anything into plain JSON data (functions dropped, errors described).
function jsonable(value) {
  if (value === undefined) return null;
  try {
    var text = JSON.stringify(value, function (key, v) {
      if (typeof v === 'function') return undefined;
      if (v instanceof Error) return { error: v.message, code: v.code || null, name: v.name };
      return v;
    });
    return text === undefined ? null : JSON.parse(text);
  } catch (e) {
    return String(value);
  }
}

function fatal(message, cmd) {
  var r = { ev: 'fatal', message: String(message) };
  if (cmd && typeof cmd === 'object') {
    if (cmd.client !== undefined) r.client = cmd.client;
    if (cmd.op !== undefined) r.op = cmd.op;
  }
  report(r);
}

// ------------------------------------------------ client library hooks

function recordOf(socket) {
  var rec = socket && socket.__driverRecord;
  return rec && !rec.dropped && !rec.detached ? rec : null;
}

function describeTransport(socket) {
  return socket.transport && socket.transport.name ? socket.transport.name : null;
}

// Raw packets: every packet the transport decoded (heartbeats included,
// which never reach Socket#onPacket).
var origTransportOnPacket = sio.Transport.prototype.onPacket;
sio.Transport.prototype.onPacket = function (packet) {
  var rec = recordOf(this.socket);
  if (rec && rec.reportPackets) {
    report({ ev: 'packet', client: rec.id, ns: (packet && packet.endpoint) || '',
             transport: this.name || null, packet: jsonable(packet) });
  }
  return origTransportOnPacket.apply(this, arguments);
};

// Remember which packet type is being dispatched so that $emit can tell a
// server event named e.g. 'error' from the library's own lifecycle event.
var origNspOnPacket = sio.SocketNamespace.prototype.onPacket;
sio.SocketNamespace.prototype.onPacket = function (packet) {
  var prev = this.__driverPending;
  this.__driverPending = packet && DATA_PACKETS[packet.type] ? packet.type : null;
  try {
    return origNspOnPacket.apply(this, arguments);
  } finally {
    this.__driverPending = prev;
  }
};

var origNspEmit = sio.SocketNamespace.prototype.$emit;
sio.SocketNamespace.prototype.$emit = function (name) {
  var dataType = this.__driverPending || null;
  this.__driverPending = null;       // only the first $emit of a data packet is data
  var rec = recordOf(this.socket);
  if (rec) {
    try {
      onNamespaceEmit(rec, this, dataType, Array.prototype.slice.call(arguments));
    } catch (e) {
      fatal('hook failed: ' + (e && e.stack || e), { client: rec.id });
    }
  }
  return origNspEmit.apply(this, arguments);
};

function replyKey(ns, name) {
  return ns + '\u0000' + name;
}

function onNamespaceEmit(rec, nsp, dataType, args) {
  var name = args[0];
  var rest = args.slice(1);
  var ns = nsp.name || '';
  var socket = rec.socket;

  if (!dataType && LIFECYCLE[name]) {
    var r = { ev: name, client: rec.id, ns: ns, args: jsonable(rest) };
    switch (name) {
      case 'connect':
        r.sid = socket.sessionid || null;
        r.transport = describeTransport(socket);
        break;
      case 'disconnect':
        r.reason = rest.length && rest[0] !== undefined ? errText(rest[0]) : null;
        break;
      case 'error':
        r.reason = errText(rest[0]);
        break;
      case 'connect_failed':
        r.reason = rest.length ? errText(rest[0]) : null;
        break;
      case 'connecting':
        r.transport = rest.length ? rest[0] : describeTransport(socket);
        break;
      case 'reconnect':
        r.sid = socket.sessionid || null;
        r.transport = describeTransport(socket);
        r.attempts = rest.length > 1 ? rest[1] : null;
        break;
      case 'reconnecting':
        r.delay = rest.length ? rest[0] : null;
        r.attempts = rest.length > 1 ? rest[1] : null;
        break;
    }
    report(r);
    return;
  }

  var ackFn = null;
  if (rest.length && typeof rest[rest.length - 1] === 'function') {
    ackFn = rest.pop();
  }
  report({ ev: 'event', client: rec.id, ns: ns, name: name, args: jsonable(rest),
           wants_ack: !!ackFn, type: dataType });
  if (ackFn) {
    var replyArgs = rec.replies[replyKey(ns, name)];
    if (replyArgs) ackFn.apply(null, replyArgs);
  }
}

// ------------------------------------------------------------ commands

function requireString(cmd, field, allowEmpty) {
  var v = cmd[field];
  if (typeof v !== 'string' || (!allowEmpty && v === '')) {
    throw new Error('field "' + field + '" must be a ' + (allowEmpty ? '' : 'non-empty ') + 'string');
  }
  return v;
}

function nsOf(cmd) {
  if (cmd.ns === undefined || cmd.ns === null) return '';
  if (typeof cmd.ns !== 'string') throw new Error('field "ns" must be a string');
  return cmd.ns;
}

function getRecord(cmd) {
  var id = requireString(cmd, 'client');
  var rec = clients[id];
  if (!rec) throw new Error('unknown client ' + JSON.stringify(id));
  return rec;
}

function liveRecord(cmd) {
  var rec = getRecord(cmd);
  if (rec.dropped) throw new Error('client ' + JSON.stringify(rec.id) + ' was dropped');
  return rec;
}

function joinedNamespace(rec, ns) {
  var nsp = rec.socket.namespaces[ns];
  if (!nsp) {
    throw new Error('namespace ' + JSON.stringify(ns) + ' not joined by client ' +
                    JSON.stringify(rec.id) + ' (use op "of" first)');
  }
  return nsp;
}

function stopReconnecting(socket) {
  socket.options.reconnect = false;
  socket.reconnecting = false;
  clearTimeout(socket.reconnectionTimer);
}

function ackCallback(rec, ns, token) {
  if (token === undefined || token === null) return null;
  return function () {
    if (rec.dropped || rec.detached) return;
    report({ ev: 'ack', client: rec.id, ns: ns, ack: token,
             args: jsonable(Array.prototype.slice.call(arguments)) });
  };
}

var commands = {};

commands.ping = function (cmd) {
  report({ ev: 'pong', token: cmd.token === undefined ? null : cmd.token });
};

commands.connect = function (cmd) {
  var id = requireString(cmd, 'client');
  var url = requireString(cmd, 'url');
  var transport = requireString(cmd, 'transport');
  if (!sio.Transport[transport] || typeof sio.Transport[transport].check !== 'function') {
    throw new Error('unknown transport ' + JSON.stringify(transport) +
                    ' (the node client has websocket and xhr-polling)');
  }
  var old = clients[id];
  if (old && !old.dropped && !old.detached &&
      (old.socket.connected || old.socket.connecting)) {
    throw new Error('client ' + JSON.stringify(id) + ' is still connected; disconnect or drop it first');
  }
  if (old) detach(old);

  var extra = cmd.options || {};
  if (typeof extra !== 'object' || Array.isArray(extra)) throw new Error('"options" must be an object');
  var opts = {
    transports: [transport],
    'force new connection': true,
    reconnect: !!cmd.reconnect,
    'try multiple transports': false
  };
  Object.keys(extra).forEach(function (k) { opts[k] = extra[k]; });
  var autoConnect = opts['auto connect'] !== false;
  var wantedTransports = Array.isArray(opts.transports) ? opts.transports.slice() : [transport];
  // The library merges options deeply: an array option would be merged
  // *into* the shared default array io.transports (aliased by every socket),
  // so clients created close together could steal each other's transport.
  // Construct without auto-connect, restore the shared array, give this
  // socket its own list, then connect.
  opts['auto connect'] = false;
  if (cmd.query !== undefined && cmd.query !== null) {
    if (typeof cmd.query !== 'string') throw new Error('"query" must be a string');
    opts.query = cmd.query.replace(/^\?/, '');
  }

  var savedTransports = sio.transports.slice();
  var nsp;
  try {
    nsp = sio.connect(url, opts);
  } finally {
    sio.transports.splice.apply(sio.transports, [0, sio.transports.length].concat(savedTransports));
  }
  var socket = nsp.socket;
  socket.options.transports = wantedTransports;
  socket.options['auto connect'] = autoConnect;

  var rec = {
    id: id,
    socket: socket,
    replies: Object.create(null),
    dropped: false,
    detached: false,
    reportPackets: cmd.packets !== false
  };
  socket.__driverRecord = rec;
  clients[id] = rec;
  if (autoConnect) socket.connect();
};

commands.of = function (cmd) {
  var rec = liveRecord(cmd);
  var ns = requireString(cmd, 'ns', true);
  var existed = !!rec.socket.namespaces[ns];
  var nsp = rec.socket.of(ns);
  // 0.9.16 keeps a namespace object after it disconnected, so of() again
  // sends nothing; rejoin: true sends the connect packet anyway.
  if (existed && cmd.rejoin && ns !== '') nsp.packet({ type: 'connect' });
};

commands.emit = function (cmd) {
  var rec = liveRecord(cmd);
  var ns = nsOf(cmd);
  var name = requireString(cmd, 'name');
  var args = cmd.args === undefined || cmd.args === null ? [] : cmd.args;
  if (!Array.isArray(args)) throw new Error('"args" must be an array');
  var nsp = joinedNamespace(rec, ns);
  var callArgs = [name].concat(args);
  var cb = ackCallback(rec, ns, cmd.ack);
  if (cb) callArgs.push(cb);
  nsp.emit.apply(nsp, callArgs);
};

commands.send = function (cmd) {
  var rec = liveRecord(cmd);
  var ns = nsOf(cmd);
  if (typeof cmd.data !== 'string') throw new Error('"data" must be a string');
  var nsp = joinedNamespace(rec, ns);
  var cb = ackCallback(rec, ns, cmd.ack);
  if (cb) nsp.send(cmd.data, cb); else nsp.send(cmd.data);
};

commands.json = function (cmd) {
  var rec = liveRecord(cmd);
  var ns = nsOf(cmd);
  if (!('data' in cmd)) throw new Error('"data" is required');
  var nsp = joinedNamespace(rec, ns);
  var cb = ackCallback(rec, ns, cmd.ack);
  if (cb) nsp.json.send(cmd.data, cb); else nsp.json.send(cmd.data);
};

commands.reply = function (cmd) {
  var rec = getRecord(cmd);
  var ns = nsOf(cmd);
  var name = requireString(cmd, 'name');
  if (cmd.args === undefined || cmd.args === null) {
    delete rec.replies[replyKey(ns, name)];
    return;
  }
  if (!Array.isArray(cmd.args)) throw new Error('"args" must be an array');
  rec.replies[replyKey(ns, name)] = cmd.args.slice();
};

commands.disconnect = function (cmd) {
  var rec = liveRecord(cmd);
  var ns = nsOf(cmd);
  if (ns === '') {
    stopReconnecting(rec.socket);
    rec.socket.disconnect();
  } else {
    joinedNamespace(rec, ns).disconnect();
  }
};

commands.drop = function (cmd) {
  var rec = getRecord(cmd);
  var info = rec.dropped ? { already: true } : dropRecord(rec, !!cmd.reset);
  report({ ev: 'dropped', client: rec.id, transport: info.transport || null,
           destroyed: info.destroyed || 0, already: !!info.already });
};

commands.state = function (cmd) {
  var id = requireString(cmd, 'client');
  var rec = clients[id];
  if (!rec) {
    report({ ev: 'state', client: id, exists: false, connected: false, connecting: false,
             reconnecting: false, sid: null, transport: null, namespaces: [], dropped: false });
    return;
  }
  var s = rec.socket;
  report({
    ev: 'state', client: id, exists: true,
    connected: !!s.connected && !rec.dropped,
    connecting: !!s.connecting && !rec.dropped,
    reconnecting: !!s.reconnecting && !rec.dropped,
    open: !!s.open && !rec.dropped,
    sid: s.sessionid || null,
    transport: rec.dropped ? null : describeTransport(s),
    namespaces: Object.keys(s.namespaces),
    dropped: rec.dropped
  });
};

// ------------------------------------------------------ drop / detach

// Make a socket inert: no more timers, no reconnection, nothing sent, no
// reports.  Used for "drop" and when a client id is reused.
function neuter(socket) {
  stopReconnecting(socket);
  clearTimeout(socket.heartbeatTimeoutTimer);
  clearTimeout(socket.connectTimeoutTimer);
  var self = function () { return socket; };
  ['packet', 'flushBuffer', 'setBuffer', 'connect', 'reconnect', 'handshake',
   'disconnect', 'disconnectSync', 'setHeartbeatTimeout', 'onConnect', 'onOpen',
   'onClose', 'onPacket', 'onError', 'onDisconnect', 'publish', 'emit'
  ].forEach(function (m) { socket[m] = self; });
  socket.getTransport = function () { return null; };
  socket.connected = socket.connecting = socket.open = false;
  socket.buffer = [];

  var t = socket.transport;
  if (t) {
    try { t.clearTimeouts(); } catch (e) {}
    t.isOpen = false;
    var tself = function () { return t; };
    ['send', 'post', 'get', 'packet', 'payload', 'onData', 'onPacket', 'onOpen',
     'onClose', 'onDisconnect', 'onConnect', 'onHeartbeat', 'onError', 'close',
     'setCloseTimeout', 'open'
    ].forEach(function (m) { t[m] = tself; });
  }
  return t;
}

function dropRecord(rec, reset) {
  rec.dropped = true;
  var socket = rec.socket;
  var transportName = describeTransport(socket);
  var t = neuter(socket);
  var destroyed = 0;
  if (t && t.websocket) {
    var ws = t.websocket;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = noop;
    var raw = ws._socket;
    if (raw) {
      // No close frame, no 0:: packet: just kill the TCP connection.
      raw.on('error', noop);
      if (reset && typeof raw.resetAndDestroy === 'function') raw.resetAndDestroy();
      else raw.destroy();
      destroyed++;
    } else {
      try { ws.terminate(); } catch (e) {}
    }
  }
  if (t) {
    [t.xhr, t.sendXHR].forEach(function (x) {
      if (!x) return;
      x.onreadystatechange = x.onload = x.onerror = noop;
      if (x.readyState !== 4 && x.readyState !== 0) destroyed++;
      try { x.abort(); } catch (e) {}   // destroys the in-flight request's socket
    });
    t.xhr = t.sendXHR = null;
  }
  return { transport: transportName, destroyed: destroyed };
}

function detach(rec) {
  if (rec.detached) return;
  rec.detached = true;
  if (!rec.dropped) {
    var s = rec.socket;
    stopReconnecting(s);
    clearTimeout(s.heartbeatTimeoutTimer);
    clearTimeout(s.connectTimeoutTimer);
  }
}

// ------------------------------------------------------------- main loop

function handleLine(line) {
  line = line.trim();
  if (!line) return;
  var cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    fatal('invalid JSON command: ' + e.message + ': ' + line.slice(0, 200));
    return;
  }
  if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) {
    fatal('command must be a JSON object: ' + line.slice(0, 200));
    return;
  }
  var fn = Object.prototype.hasOwnProperty.call(commands, cmd.op) ? commands[cmd.op] : null;
  if (!fn) {
    fatal('unknown op ' + JSON.stringify(cmd.op), cmd);
    return;
  }
  try {
    fn(cmd);
  } catch (e) {
    fatal((e && e.message) || String(e), cmd);
    if (e && e.stack) process.stderr.write('driver: ' + cmd.op + ' failed: ' + e.stack + '\n');
  }
}

process.on('uncaughtException', function (e) {
  process.stderr.write('driver: uncaught exception: ' + (e && e.stack || e) + '\n');
  fatal('uncaught exception: ' + ((e && e.message) || String(e)));
});
process.on('unhandledRejection', function (e) {
  process.stderr.write('driver: unhandled rejection: ' + (e && e.stack || e) + '\n');
  fatal('unhandled rejection: ' + ((e && e.message) || String(e)));
});

var shuttingDown = false;
function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  // Say goodbye properly for every live client, then leave.
  Object.keys(clients).forEach(function (id) {
    var rec = clients[id];
    if (rec.dropped || rec.detached) return;
    try {
      stopReconnecting(rec.socket);
      rec.socket.disconnect();
    } catch (e) {}
  });
  var grace = Number(process.env.SIO_DRIVER_EXIT_GRACE_MS || 250);
  setTimeout(function () {
    if (stdoutBroken) process.exit(0);
    process.stdout.write('', function () { process.exit(0); });
  }, grace);
}

var buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', function (chunk) {
  buffered += chunk;
  var idx;
  while ((idx = buffered.indexOf('\n')) >= 0) {
    var line = buffered.slice(0, idx);
    buffered = buffered.slice(idx + 1);
    handleLine(line);
  }
});
process.stdin.on('end', function () {
  if (buffered) handleLine(buffered);
  buffered = '';
  shutdown();
});
process.stdin.on('error', shutdown);
