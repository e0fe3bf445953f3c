// The reference: socket.io 0.9.19 on node, the same echo and broadcast jobs.
// Run as `node benchmarks/servers/node_sio09.js PORT` with NODE_PATH pointing at the
// peers' node_modules (benchmarks/.peers/node_modules), where the runner installs it.
'use strict';

const http = require('http');
const sio = require('socket.io');

const ROOM = 'bench';
const port = Number(process.argv[2]);
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const io = sio.listen(server, {
  log: false,
  // The reference never resets its websocket byte counter, so a busy client is dropped
  // after ~10 MB with the default limit (see PERF_NOTES): lift it for the benchmark.
  'destroy buffer size': Infinity,
});

io.sockets.on('connection', (socket) => {
  socket.join(ROOM);
  socket.on('echo', (...args) => socket.emit('echo', ...args));
  socket.on('bcast', (...args) => io.sockets.in(ROOM).emit('bcast', ...args));
});
server.listen(port, '127.0.0.1', 4096);
