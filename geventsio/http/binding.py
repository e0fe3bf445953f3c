"""Binding a session to the WSGI application, on its first transport request.

The session gets a copy of that request's environ (with ``environ['socketio']``, the
session itself). A server built without ``namespaces=`` then calls the application once,
as for an ordinary request, so that it can call ``socketio_manage()``; the response is
dropped.

:func:`open_upgraded` and :func:`end_opened` are what both ways of accepting a websocket
upgrade (the handler's, and :mod:`geventsio.http.fastupgrade`'s) do once the ``101`` is
decided: bind and open the session's transport, or say that the session is gone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from ..exceptions import InvalidStateError
from .upgraded import NO_BODY, no_delay

if TYPE_CHECKING:
    from ..core.session import Session
    from ..transports.base import HTTPSide, UpgradeSide

__all__ = ["bind_session", "as_plain_request", "open_upgraded", "end_opened"]

#: The handler's logger: an application that fails to bind is the handler's to report.
log = logging.getLogger("geventsio.handler")


def bind_session(session: "Session", environ: dict[str, Any],
                 application: Callable[..., Any], path: str, copy: bool = True) -> None:
    """Give ``session`` its environ and, for socketio_manage() apps, its namespaces
    (``path`` names the request in the log line when none were given). Done once.

    ``copy=False`` hands over the request's own environ, for a request that lasts as long
    as the connection (a websocket): nothing else uses it afterwards.
    """
    if session.environ is not None:
        return
    if copy:
        environ = dict(environ)
    environ["wsgi.input"] = NO_BODY  # the first request's body is not the session's
    environ["socketio"] = session
    session.environ = environ
    if session.namespace_classes is not None:
        return
    result = None
    try:
        result = application(as_plain_request(environ), _ignore_start_response)
    except Exception:
        log.exception("the application raised while binding session %s", session.sid)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if session.namespace_classes is None:
        log.error("no namespaces for %s: pass namespaces= to SocketIOServer or call "
                  "socketio_manage() from the application", path)


def open_upgraded(session: "Session", cls: "type[UpgradeSide]", sock: Any,
                  read: Callable[..., bytes] | None, environ: dict[str, Any],
                  application: Callable[..., Any], path: str, head: bytes,
                  accepts_no_delay: bool) -> "UpgradeSide | None":
    """Bind ``session`` to the upgrade request of ``environ`` (whose connection it keeps)
    and open its ``cls`` transport on ``sock``, the ``101`` ``head`` going out with its
    first frames. None when the session ended while the application was binding it."""
    bind_session(session, environ, application, path, copy=False)
    if not accepts_no_delay:
        no_delay(sock)  # else the connection has it from the listener
    transport = cls(session, read, sock)
    try:
        transport.open(head)
    except InvalidStateError:
        return None
    return transport


def end_opened(sock: Any, cls: "type[HTTPSide]", payload: str, head: bytes = b"") -> None:
    """On a stream whose head is out, or after a websocket's ``101`` (``head``, if not
    sent yet): write ``payload`` in the transport's format, ending the response or
    connection."""
    try:
        sock.sendall(head + cls.ended_answer(payload, 0, True))
    except OSError:
        pass


def as_plain_request(environ: dict[str, Any]) -> dict[str, Any]:
    """The environ the application sees when it binds a session: an ordinary GET/POST.

    The websocket upgrade has already been answered; routers such as werkzeug's send
    upgrade requests only to websocket routes, which would hide the socketio_manage() view.
    """
    plain = dict(environ)
    plain.pop("HTTP_UPGRADE", None)
    plain.pop("HTTP_SEC_WEBSOCKET_KEY", None)
    plain.pop("HTTP_SEC_WEBSOCKET_VERSION", None)
    plain.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    if "upgrade" in plain.get("HTTP_CONNECTION", "").lower():
        plain["HTTP_CONNECTION"] = "keep-alive"
    return plain


def _ignore_start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Any:
    """start_response for the app call that only binds namespaces: the response is dropped."""
    return lambda data: None
