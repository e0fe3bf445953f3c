"""gevent-socketio's ``socketio.sgunicorn``: the gunicorn worker under its old name.

``gunicorn -k geventsio.sgunicorn.GeventSocketIOWorker app:app`` works as
``-k socketio.sgunicorn.GeventSocketIOWorker`` did. The worker is the one of
:mod:`geventsio.gunicorn`, plus the two class attributes gevent-socketio's subclasses
set: ``resource`` and ``policy_server``. ``policy_server`` defaults to False here (the
Flash policy port is one per host, which several workers cannot share; set it on a
subclass to turn it on). Other options go in ``socketio_options`` (see
:mod:`geventsio.gunicorn`). Needs the ``gunicorn`` extra.
"""

from __future__ import annotations

from typing import Any

from .gunicorn import GeventSocketIOWorker as _Worker
from .gunicorn import GunicornSocketIOHandler

__all__ = ["GeventSocketIOWorker", "GeventSocketIOBaseWorker", "GunicornWSGIHandler"]

#: gevent-socketio's name of the handler class the worker uses.
GunicornWSGIHandler = GunicornSocketIOHandler


class GeventSocketIOWorker(_Worker):
    """geventsio's gunicorn worker, taking ``resource``/``policy_server`` from class
    attributes as gevent-socketio's did."""

    resource = "socket.io"
    policy_server = False

    @property
    def socketio_options(self) -> dict[str, Any]:  # type: ignore[override]
        """``resource`` and ``policy_server`` of this class, then its options dict."""
        found: dict[str, Any] = {"resource": self.resource, "policy_server": self.policy_server}
        found.update(type(self).extra_options)
        return found

    #: Further ``SocketIOServer`` options for subclasses.
    extra_options: dict[str, Any] = {}


#: gevent-socketio's base class name.
GeventSocketIOBaseWorker = GeventSocketIOWorker
