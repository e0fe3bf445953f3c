"""Binding a session to the WSGI application, on its first transport request.

The session gets a copy of that request's environ (with ``environ['socketio']``, the
session itself). A server built without ``namespaces=`` then calls the application once,
as for an ordinary request, so that it can call ``socketio_manage()``; the response is
dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from .upgraded import NO_BODY

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = ["bind_session", "as_plain_request"]

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
