"""A gevent client for Socket.IO 0.7-0.9 servers (protocol revision 1).

::

    from gevent import monkey; monkey.patch_all()
    from geventsio.client import Client

    client = Client('http://127.0.0.1:8080').connect()
    chat = client.of('/chat')
    chat.on('news', print)
    chat.emit('add', 1, 2, callback=print)
    print(chat.wait_for('welcome'))
    client.disconnect()

It speaks to geventsio and to node's socket.io 0.9 server alike, over ``websocket``,
``xhr-polling`` or ``jsonp-polling``, with the packet codec of :mod:`geventsio.protocol`.
"""

from .client import Client, State
from .errors import ClientError, ConnectFailed, NamespaceRefused, NotConnected
from .namespace import ClientNamespace

__all__ = ["Client", "ClientNamespace", "State", "ClientError", "ConnectFailed",
           "NamespaceRefused", "NotConnected"]
