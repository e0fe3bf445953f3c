"""gevent-socketio's ``socketio.virtsocket``: the per-client "virtual socket".

There, ``Socket`` held one client's queues, namespaces and greenlets. In geventsio that
object is :class:`geventsio.core.session.Session` (``self.socket`` in a namespace), which keeps
the names apps used: ``sessid``, ``session``, ``connected``, ``server``,
``socket['/chat']``, ``active_ns``, ``send_packet`` (dict packets too),
``put_client_msg``, ``error``, ``disconnect``, ``kill``, ``spawn`` and
``remove_namespace`` (see :mod:`geventsio.core.sessioncompat`).
``default_error_handler`` is the handler ``socketio_manage`` uses when it is given none.
"""

from .core.session import Session
from .core.sessioncompat import default_error_handler

#: gevent-socketio's name of a session.
Socket = Session

__all__ = ["Socket", "default_error_handler"]
