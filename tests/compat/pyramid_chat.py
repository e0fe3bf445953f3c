"""A Pyramid app in gevent-socketio style: a route for ``socket.io/*remaining`` whose view
hands the request to ``socketio_manage``; the namespace reads ``self.request``."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.response import Response

from geventsio import socketio_manage
from geventsio.mixins import BroadcastMixin
from geventsio.namespace import BaseNamespace


class EchoNamespace(BaseNamespace, BroadcastMixin):
    def on_hello(self, name):
        greeting = self.request.registry.settings['greeting']
        self.broadcast_event('hello', '%s, %s' % (greeting, name))
        return type(self.request).__name__


def socketio_service(request):
    socketio_manage(request.environ, {'/echo': EchoNamespace}, request)
    return Response('')


def index(request):
    return Response('pyramid index')


def make_app():
    config = Configurator(settings={'greeting': 'bonjour'})
    config.add_route('index', '/')
    config.add_view(index, route_name='index')
    config.add_route('socket_io', 'socket.io/*remaining')
    config.add_view(socketio_service, route_name='socket_io')
    return config.make_wsgi_app()


#: For servers that import an application object (gunicorn ``module:application``).
application = make_app()
