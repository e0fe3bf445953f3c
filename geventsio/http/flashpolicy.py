"""The Flash socket policy: the document Flash asks for before it opens a socket.

A Flash client (the 0.9 client's ``flashsocket`` transport, through web-socket-js) writes
``<policy-file-request/>\\0`` to port 843 or 10843 of the server, or to the port it is
about to use, and expects the XML policy back, after which the server closes the
connection. :func:`policy_document` builds that XML from the ``origins`` allow-list;
:class:`PolicyServer` answers on a port of its own (``policy_server=True``); the HTTP
handler answers the same request when it arrives as the first bytes of a connection.
"""

from __future__ import annotations

import logging
import socket
from typing import Any, Callable
from xml.sax.saxutils import quoteattr

import gevent
from gevent.server import StreamServer

from ..core.origins import ANY, OriginAllowList

__all__ = ["POLICY_REQUEST", "policy_document", "read_policy_request", "PolicyServer"]

log = logging.getLogger("geventsio.flashpolicy")

#: What a Flash client sends to ask for the policy (NUL-terminated).
POLICY_REQUEST = b"<policy-file-request/>\0"
#: Seconds a policy client may take to send its request.
REQUEST_TIMEOUT = 5.0

_HEAD = (
    '<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM '
    '"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy>'
)
_TAIL = "</cross-domain-policy>"


def policy_document(allowed: OriginAllowList) -> bytes:
    """The policy XML for ``allowed``: one ``allow-access-from`` per origin pattern.

    ``*:*`` gives the reference's document byte for byte (``domain="*" to-ports="*"``).
    As the reference does, a pattern's port becomes ``to-ports``. No trailing NUL.
    """
    patterns = [(ANY, ANY)] if allowed.allows_all else list(allowed.patterns)
    rules = "".join(
        f"<allow-access-from domain={quoteattr(host)} to-ports={quoteattr(str(port))}/>"
        for host, port in patterns
    )
    return (_HEAD + rules + _TAIL).encode("utf-8")


def read_policy_request(recv: Callable[[int], bytes]) -> bool:
    """Read up to the length of :data:`POLICY_REQUEST` with ``recv(n)``; True if it is one.

    Stops early (False) as soon as the bytes cannot be a policy request, or at EOF.
    """
    data = b""
    while len(data) < len(POLICY_REQUEST) and POLICY_REQUEST.startswith(data):
        chunk = recv(len(POLICY_REQUEST) - len(data))
        if not chunk:
            return False
        data += chunk
    return data == POLICY_REQUEST


class PolicyServer(StreamServer):
    """Answers Flash policy requests on a port of its own (10843 by default)."""

    def __init__(self, listener: Any, document: bytes, **kwargs: Any) -> None:
        super().__init__(listener, self._serve_one, **kwargs)
        self.document = document

    def _serve_one(self, sock: socket.socket, address: Any) -> None:
        try:
            with gevent.Timeout(REQUEST_TIMEOUT, False):
                if read_policy_request(sock.recv):
                    sock.sendall(self.document)
                    return
            log.info("flash policy port: no policy request from %s", address)
        except OSError as exc:
            log.debug("flash policy port: %s gone: %r", address, exc)
        finally:
            sock.close()
