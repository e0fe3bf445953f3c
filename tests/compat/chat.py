"""A gevent-socketio style chat: nicknames, rooms, mixins, a clock pushing to everyone.

Written as a gevent-socketio 0.3 app would be (a WSGI app that routes ``/socket.io`` to
``socketio_manage``, mixins, ``self.session``, ``server.sockets``, dict packets, legacy
server keywords); only the imports name ``geventsio``.
"""

from __future__ import annotations

import datetime
import decimal
import json

import gevent

from geventsio import socketio_manage
from geventsio.mixins import BroadcastMixin, RoomsMixin
from geventsio.namespace import BaseNamespace
from geventsio.server import SocketIOServer


class HistoryMixin(object):
    """A cooperative mixin that keeps its state from ``__init__``."""

    def __init__(self, *args, **kwargs):
        super(HistoryMixin, self).__init__(*args, **kwargs)
        self.history = []

    def remember(self, line):
        self.history.append(line)
        return len(self.history)


class ChatNamespace(BaseNamespace, HistoryMixin, RoomsMixin, BroadcastMixin):
    nicknames = []

    def on_nickname(self, nickname):
        self.nicknames.append(nickname)
        self.session['nickname'] = nickname
        self.broadcast_event('announcement', '%s has connected' % nickname)
        self.broadcast_event('nicknames', self.nicknames)
        # a callback without arguments: runs once the client acknowledges
        self.emit('welcome', nickname, callback=self.welcomed)
        return True

    def welcomed(self):
        self.emit('welcomed', self.session['nickname'])

    def on_join(self, room):
        self.join(room)
        return room

    def on_user_message(self, room, text):
        count = self.remember(text)
        self.emit_to_room(room, 'msg_to_room', self.session['nickname'], text)
        return count

    def on_history(self):
        return (self.history,)

    def on_price(self):
        # a value the stdlib cannot encode: json_dumps given to socketio_manage writes it
        self.emit('price', decimal.Decimal('1.25'), datetime.date(2012, 5, 1))

    def recv_disconnect(self):
        nickname = self.session.get('nickname')
        if nickname in self.nicknames:
            self.nicknames.remove(nickname)
            self.broadcast_event('announcement', '%s has disconnected' % nickname)
        self.disconnect(silent=True)


class MainNamespace(BaseNamespace):
    def on_shout(self, text):
        # reach this client's /chat namespace from the default one
        self.socket['/chat'].emit('shout', text, self.socket.server.server_port)

    def on_packet(self, packet):
        # gevent-socketio handed the whole packet to a handler whose argument is 'packet'
        self.socket.send_packet(dict(type='event', name='packet_seen',
                                     args=[packet['name'], packet['args']], endpoint=''))


ERRORS = []


def error_handler(socket, error_name, error_message, endpoint, msg_id, quiet):
    ERRORS.append((error_name, endpoint))
    socket.send_packet(dict(type='event', name='oops', args=[error_name],
                            endpoint=endpoint))


def odd_values(obj):
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    raise TypeError(repr(obj))


def json_dumps(data):
    return json.dumps(data, default=odd_values)


def application(environ, start_response):
    path = environ['PATH_INFO'].strip('/')
    if path.startswith('socket.io'):
        socketio_manage(environ, {'': MainNamespace, '/chat': ChatNamespace}, environ,
                        error_handler=error_handler, json_dumps=json_dumps)
        return []
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'compat chat']


def clock(server, interval):
    """Push the time to every client of /chat, the way gevent-socketio apps did."""
    tick = 0
    while True:
        tick += 1
        for sessid, socket in server.sockets.items():
            if '/chat' in socket.active_ns:
                socket.send_packet(dict(type='event', name='tick', args=[tick],
                                        endpoint='/chat'))
        gevent.sleep(interval)


def make_server(host, port, log_file, app=application, **options):
    return SocketIOServer((host, port), app, namespace='socket.io',
                          policy_listener=(host, 0), log_file=log_file, **options)
