// The browser tests' page-side helper: window.T, driven from Python (tests/test_browser.py)
// through tests/js/browser_driver.js. It loads the 0.9.16 client *from the server under
// test*, opens sockets with one transport forced, and logs everything each socket sees.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var T = window.T = {
    // Base URL of the Socket.IO server; another origin than the page's for CORS tests.
    server: params.get('server') || location.origin,
    clientLoaded: false,
    clientError: null,
    sockets: {}
  };

  T.loadClient = function () {
    var script = document.createElement('script');
    script.src = T.server + '/socket.io/socket.io.js';
    script.onload = function () { T.clientLoaded = true; };
    script.onerror = function () { T.clientError = 'could not load ' + script.src; };
    document.head.appendChild(script);
  };

  // The client offers htmlfile only where `new ActiveXObject('htmlfile')` works (IE).
  // This stands in for IE's htmlfile object: a separate, hidden same-origin document (an
  // about:blank iframe) with what the transport uses of it: open/write/close, body,
  // createElement and parentWindow. The transport sets parentWindow.s = itself and puts
  // the forever iframe in that document; the server's prelude calls parent.s._(msg), and
  // `parent` of the forever iframe is exactly that parentWindow, as in IE. One document
  // per htmlfile object, so two htmlfile sockets in one page do not share `s`.
  T.shimHtmlfile = function () {
    if (window.ActiveXObject) { return; }
    T.htmlfileDocs = 0;
    window.CollectGarbage = function () {};   // IE-only, called by the transport's destroy()
    window.ActiveXObject = function (kind) {
      if (kind !== 'htmlfile') { throw new Error('ActiveXObject shim: no ' + kind); }
      var holder = null;
      function frame() {   // created on first use: the transport's check() only constructs
        if (!holder) {
          holder = document.createElement('iframe');
          holder.className = 'htmlfile-shim';
          holder.style.display = 'none';
          document.body.appendChild(holder);
          T.htmlfileDocs += 1;
        }
        return holder;
      }
      return {
        open: function () { frame().contentDocument.open(); },
        write: function (html) { frame().contentDocument.write(html); },
        close: function () { frame().contentDocument.close(); },
        createElement: function (tag) { return frame().contentDocument.createElement(tag); },
        get body() { return frame().contentDocument.body; },
        get parentWindow() { return frame().contentWindow; }
      };
    };
  };

  function record(rec, entry) {
    var socket = rec.nsp.socket;
    entry.transport = socket.transport ? socket.transport.name : null;
    entry.sid = socket.sessionid || null;
    entry.at = Date.now();
    rec.log.push(entry);
  }

  // Opens a socket: o = {transport, ns, reconnect, url, query}. Always a new connection.
  T.connect = function (name, o) {
    if (o.transport === 'htmlfile') { T.shimHtmlfile(); }
    var opts = {
      'force new connection': true,
      'auto connect': false,
      'try multiple transports': false,
      'reconnect': !!o.reconnect,
      'reconnection delay': 200,
      'connect timeout': 5000
    };
    if (o.query) { opts.query = o.query; }
    // Not passed as an option: the client merges an array option *into* its shared default
    // io.transports, changing it for every later socket (docs/testing.md). Set it after.
    var nsp = io.connect((o.url || T.server) + (o.ns || ''), opts);
    nsp.socket.options.transports = [o.transport];
    watch(name, nsp);
    nsp.socket.connect();
    return name;
  };

  // Another namespace on the connection of socket `of`, logged as `name`.
  T.of = function (name, of, ns) {
    watch(name, T.sockets[of].nsp.socket.of(ns));
    return name;
  };

  function watch(name, nsp) {
    var rec = T.sockets[name] = { nsp: nsp, log: [] };
    var emit = nsp.$emit;   // every event of this namespace, lifecycle ones included
    nsp.$emit = function (event) {
      var args = Array.prototype.slice.call(arguments, 1);
      var wantsAck = typeof args[args.length - 1] === 'function';
      record(rec, { type: event, args: wantsAck ? args.slice(0, -1) : args, wantsAck: wantsAck });
      return emit.apply(this, arguments);
    };
  }

  // From now on answer server event `event` that asks for an ack with `args` (the real
  // client API: the ack function is the listener's last argument).
  T.reply = function (name, event, args) {
    T.sockets[name].nsp.on(event, function () {
      var fn = arguments[arguments.length - 1];
      if (typeof fn === 'function') { fn.apply(null, args); }
    });
  };

  // emit(event, ...args[, callback]); with ackKey the callback logs {type: '#ack', key}.
  T.emit = function (name, event, args, ackKey) {
    var rec = T.sockets[name];
    var call = [event].concat(args);
    if (ackKey) {
      call.push(function () {
        record(rec, { type: '#ack', key: ackKey, args: Array.prototype.slice.call(arguments) });
      });
    }
    rec.nsp.emit.apply(rec.nsp, call);
  };

  T.send = function (name, data) { T.sockets[name].nsp.send(data); };
  T.disconnect = function (name) { T.sockets[name].nsp.disconnect(); };

  T.find = function (name, type, key) {
    return T.sockets[name].log.filter(function (e) {
      return e.type === type && (key === undefined || key === null || e.key === key);
    });
  };

  T.state = function (name) {
    var socket = T.sockets[name].nsp.socket;
    return {
      connected: socket.connected,
      connecting: socket.connecting,
      reconnecting: !!socket.reconnecting,
      transport: socket.transport ? socket.transport.name : null,
      sid: socket.sessionid || null
    };
  };

  // Whether any frame of the page (forever iframes, jsonp form targets) has window.pwned.
  T.pwned = function () {
    var found = [];
    (function walk(win, path) {
      try {
        if (typeof win.pwned !== 'undefined') { found.push(path); }
      } catch (e) { return; }   // another origin: none of our frames
      for (var i = 0; i < win.frames.length; i++) { walk(win.frames[i], path + '/' + i); }
    })(window, 'top');
    return found;
  };
})();
