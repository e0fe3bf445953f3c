"""The names gevent-socketio's ``Socket`` (``self.socket`` in a namespace) had.

:class:`SocketNames` is a base of :class:`~geventsio.core.session.Session` holding only the
gevent-socketio vocabulary, so that the session module keeps to its one job:
``self.socket['/chat']`` (the namespace instance of this client on ``/chat``),
``'/chat' in self.socket``, ``self.socket.server``, ``send_packet`` with a dict packet,
``error(...)`` going through the ``error_handler`` given to ``socketio_manage``, and the
``json_dumps``/``json_loads`` given there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..protocol import EventPacket, encode_packet

if TYPE_CHECKING:
    from ..namespace import BaseNamespace

__all__ = ["SocketNames", "default_error_handler", "ErrorHandler"]

log = logging.getLogger("geventsio.session")

#: ``error_handler(socket, error_name, error_message, endpoint, msg_id, quiet)``.
ErrorHandler = Callable[[Any, str, str, str, Any, bool], Any]


def default_error_handler(socket: Any, error_name: str, error_message: str, endpoint: str,
                          msg_id: Any, quiet: bool) -> None:
    """Log the error and, unless ``quiet``, send the client an ``error`` event with
    ``[error_name, error_message]`` on ``endpoint`` (gevent-socketio's default). The log
    line is limited per error name (see :meth:`Session.client_log`)."""
    socket.client_log(logging.WARNING, error_name, "%s: %.200s (endpoint %.100r)",
                      error_name, error_message, endpoint)
    if not quiet:
        packet_id = msg_id if isinstance(msg_id, int) and msg_id > 0 else None
        socket.put(encode_packet(EventPacket("error", (error_name, error_message), endpoint,
                                             packet_id)))


class SocketNames:
    """gevent-socketio's ``Socket`` API on a session (mixed into ``Session``)."""

    __slots__ = ()
    # Declared by Session: namespaces, manager, error_handler, json_dumps, json_loads.
    namespaces: dict[str, "BaseNamespace"]
    manager: Any
    error_handler: ErrorHandler | None
    json_dumps: Callable[[Any], str] | None
    json_loads: Callable[[str], Any] | None

    def __getitem__(self, endpoint: str) -> "BaseNamespace":
        """This client's namespace instance on ``endpoint``; KeyError if it has not
        joined it."""
        return self.namespaces[endpoint]

    def __contains__(self, endpoint: object) -> bool:
        """Whether this client has joined ``endpoint``."""
        return endpoint in self.namespaces

    @property
    def active_ns(self) -> dict[str, "BaseNamespace"]:
        """gevent-socketio's name for the joined namespaces (endpoint -> instance)."""
        return self.namespaces

    @property
    def server(self) -> Any:
        """The ``SocketIOServer`` this session belongs to (None outside one)."""
        return self.manager.server

    def error(self, error_name: str, error_message: str, endpoint: str = "",
              msg_id: Any = None, quiet: bool = False) -> Any:
        """Report an error to the client through the session's error handler (the
        ``error_handler`` given to ``socketio_manage``, or :func:`default_error_handler`,
        which also takes over, after a log line, if the given one raises)."""
        handler = self.error_handler or default_error_handler
        try:
            return handler(self, error_name, error_message, endpoint or "", msg_id, quiet)
        except Exception:  # the app's handler failing must not end the dispatch
            log.exception("error_handler %r raised on %s", handler, error_name)
            if handler is default_error_handler:
                raise
            return default_error_handler(self, error_name, error_message, endpoint or "",
                                         msg_id, quiet)

    def disconnect(self, silent: bool = False) -> None:
        """End the session, every namespace's ``recv_disconnect`` running (``0::`` is
        sent unless ``silent``). gevent-socketio's ``kill()`` does the same."""
        self.close("server disconnect", notify=not silent)  # type: ignore[attr-defined]

    def kill(self, detach: bool = False) -> None:
        """gevent-socketio's name for :meth:`disconnect` (``detach`` is implied)."""
        self.close("server disconnect", notify=True)  # type: ignore[attr-defined]

    def remove_namespace(self, endpoint: str) -> None:
        """End this client's namespace ``endpoint`` quietly (its ``recv_disconnect``
        runs; the client is not told); nothing happens if it has not joined it."""
        namespace = self.namespaces.get(endpoint)
        if namespace is not None:
            namespace.disconnect(silent=True)

    def put_client_msg(self, msg: str) -> None:
        """Queue one already encoded packet for the client (``put``)."""
        self.put(msg)  # type: ignore[attr-defined]

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` in a greenlet killed when the session ends (owned by this client's
        default namespace). Raises KeyError before the client has connected."""
        return self.namespaces[""].spawn(fn, *args, **kwargs)

    def legacy_packet(self, packet: Mapping[str, Any]) -> str:
        """The wire text of a gevent-socketio dict packet (with this session's
        ``json_dumps``, if one was given)."""
        from ..protocol.dicts import encode

        return encode(packet, self.json_dumps)

    def legacy_args(self, args: Any) -> Any:
        """``args`` passed through the ``json_dumps`` given to ``socketio_manage`` (and
        read back), so a custom encoder decides how odd values are written."""
        if self.json_dumps is None:
            return args
        from ..protocol import json_loads

        return json_loads(self.json_dumps(args))

    def legacy_inbound(self, args: Any) -> Any:
        """Client values re-read with the ``json_loads`` given to ``socketio_manage``."""
        if self.json_loads is None:
            return args
        from ..protocol import json_dumps

        return self.json_loads(json_dumps(args))
