// The reference server: socket.io 0.9.19 (npm), for the Python client's tests.
//
//   node tests/js/node_server.js [port]
//
// Listens on 127.0.0.1 (port 0 = a free one) and prints one JSON line per fact on stdout:
// {"listening": port} first, then {"ev": "connect"|"disconnect"|"event", ...} for what
// the namespaces see. Namespaces '' and '/chat' answer the same events as the geventsio
// test server (tests/test_client.py); '/private' refuses everyone (authorization).
'use strict';

var http = require('http');
var io = require('socket.io');

var port = parseInt(process.argv[2] || '0', 10);

function report(fact) {
  process.stdout.write(JSON.stringify(fact) + '\n');
}

function serve(nsp, name) {
  nsp.on('connection', function (socket) {
    report({ev: 'connect', ns: name, sid: socket.id});
    socket.emit('welcome', {id: socket.id, nsp: name});
    socket.on('echo', function () {
      var args = Array.prototype.slice.call(arguments);
      report({ev: 'event', ns: name, name: 'echo', args: args});
      socket.emit.apply(socket, ['echo'].concat(args));
    });
    socket.on('ack_me', function () {
      var args = Array.prototype.slice.call(arguments);
      var ack = args.pop();
      ack.apply(null, args);
    });
    socket.on('ask_me', function (token) {
      // server -> client event with a data ack; the answer comes back as 'answer'
      // (the callback declares a parameter: node asks for a data ack only then)
      socket.emit('ask', token, function (answer) {
        socket.emit.apply(socket, ['answer'].concat(Array.prototype.slice.call(arguments)));
      });
    });
    socket.on('ask_plain', function () {
      // server -> client message with a plain ack (3:N::), answered by the client itself
      socket.send('plain?', function () { socket.emit('plain_acked'); });
    });
    socket.on('message', function (data, ack) {
      report({ev: 'message', ns: name, data: data});
      socket.send(data);
      if (typeof ack === 'function') ack(data);
    });
    socket.on('kick_me', function () { socket.disconnect(); });
    socket.on('disconnect', function (reason) {
      report({ev: 'disconnect', ns: name, sid: socket.id, reason: reason});
    });
  });
}

var server = http.createServer(function (req, res) {
  res.writeHead(404);
  res.end();
});
var sio = io.listen(server, {'log level': 1});
sio.set('transports', ['websocket', 'xhr-polling', 'jsonp-polling']);
sio.set('heartbeat interval', 1);
sio.set('heartbeat timeout', 5);
sio.set('close timeout', 5);
sio.set('polling duration', 2);

serve(sio.sockets, '');
serve(sio.of('/chat'), '/chat');
sio.of('/private').authorization(function (handshake, callback) {
  callback(null, false);
});

server.listen(port, '127.0.0.1', function () {
  report({listening: server.address().port});
});

process.stdin.on('end', function () { process.exit(0); });
process.stdin.resume();
