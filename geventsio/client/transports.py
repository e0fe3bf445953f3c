"""The client's transports: one small class per transport, chosen from one registry dict.

A transport moves packet *texts* (already encoded by :mod:`geventsio.protocol`) between the
client and one server session; it knows nothing of namespaces or acks. Its methods:

* :meth:`~ClientTransport.open` connects (raises :class:`~.errors.ConnectFailed`);
* :meth:`~ClientTransport.receive` blocks until the server sends something and returns
  the packet texts; :meth:`~ClientTransport.send` writes packet texts;
* :meth:`~ClientTransport.close` ends it. A transport that ended (the server closed it, a
  request failed) raises :class:`TransportClosed` from ``receive`` and ``send``.

``websocket`` uses the ``websocket-client`` package (RFC 6455), ``xhr-polling`` and
``jsonp-polling`` the stdlib's ``urllib``: all block on sockets, which gevent's
monkey-patching turns into greenlet switches (call ``gevent.monkey.patch_all()`` first,
as for the server).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import websocket

from ..exceptions import ProtocolError
from ..protocol import decode_payload, encode_payload, json_dumps, json_loads
from .errors import ClientError, ConnectFailed

__all__ = ["fetch_handshake", "TransportClosed", "ClientTransport", "WebsocketTransport",
           "XhrPollingTransport", "JsonpPollingTransport", "TRANSPORTS", "session_url"]


class TransportClosed(ClientError):
    """The transport ended; the client then reconnects (or reports the disconnect)."""


def fetch_handshake(url: str, headers: dict[str, str] | None, timeout: float) -> str:
    """The body of the handshake at ``url``; ConnectFailed saying why there is none."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ConnectFailed(f"handshake refused: HTTP {exc.code}", exc.code) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectFailed(f"handshake failed: {exc}") from exc


def session_url(base: str, resource: str, tail: str, query: dict[str, str] | None) -> str:
    """``<base>/<resource>/1/<tail>`` with ``query`` and a cache-busting ``t``, as the
    0.9 client builds its URLs."""
    fields = dict(query or {})
    fields["t"] = str(int(time.time() * 1000))
    return f"{base.rstrip('/')}/{resource.strip('/')}/1/{tail}?{urlencode(fields)}"


class ClientTransport:
    """What every client transport offers; see the module docstring."""

    name: ClassVar[str] = ""

    def __init__(self, base: str, resource: str, sid: str, query: dict[str, str] | None,
                 headers: dict[str, str] | None, timeout: float) -> None:
        self.base = base
        self.resource = resource
        self.sid = sid
        self.query = query
        self.headers = dict(headers or {})
        self.timeout = timeout  # for connecting and for one request

    def url(self) -> str:
        return session_url(self.base, self.resource, f"{self.name}/{self.sid}", self.query)

    def open(self) -> None:
        raise NotImplementedError

    def send(self, packets: list[str]) -> None:
        raise NotImplementedError

    def receive(self) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class WebsocketTransport(ClientTransport):
    """``websocket``: one RFC 6455 connection, one text frame per packet."""

    name = "websocket"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ws: websocket.WebSocket | None = None

    def url(self) -> str:
        url = super().url()
        scheme = "wss" if urlsplit(url).scheme == "https" else "ws"
        return scheme + url[url.index(":"):]

    def open(self) -> None:
        header = [f"{name}: {value}" for name, value in self.headers.items()]
        try:
            self._ws = websocket.create_connection(self.url(), timeout=self.timeout,
                                                   header=header, enable_multithread=True)
        except (websocket.WebSocketException, OSError) as exc:
            raise ConnectFailed(f"websocket connection failed: {exc}",
                                getattr(exc, "status_code", None)) from exc
        self._ws.settimeout(None)  # receive() waits as long as the server is silent

    def send(self, packets: list[str]) -> None:
        ws = self._live()
        try:
            for packet in packets:
                ws.send(packet)
        except (websocket.WebSocketException, OSError) as exc:
            raise TransportClosed(f"websocket send failed: {exc}") from exc

    def receive(self) -> list[str]:
        ws = self._live()
        try:
            opcode, data = ws.recv_data()
        except (websocket.WebSocketException, OSError) as exc:
            raise TransportClosed(f"websocket closed: {exc}") from exc
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise TransportClosed("the server closed the websocket")
        return decode_payload(data.decode("utf-8"))

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close(timeout=1)
            except (websocket.WebSocketException, OSError):
                ws.shutdown()

    def _live(self) -> websocket.WebSocket:
        if self._ws is None:
            raise TransportClosed("the websocket is closed")
        return self._ws


class XhrPollingTransport(ClientTransport):
    """``xhr-polling``: a long GET brings packets, a POST carries them, one payload each."""

    name = "xhr-polling"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closed = False

    def open(self) -> None:
        """Nothing to open: the first GET (made by ``receive``) binds the session."""

    content_type = "text/plain;charset=UTF-8"

    def send(self, packets: list[str]) -> None:
        self._request("POST", self.encode_body(encode_payload(packets)))

    def receive(self) -> list[str]:
        return decode_payload(self.decode_body(self._request("GET", None)))

    def close(self) -> None:
        self._closed = True

    def encode_body(self, payload: str) -> bytes:
        """A POST body carrying ``payload``."""
        return payload.encode("utf-8")

    def decode_body(self, body: str) -> str:
        """The payload in a GET response body."""
        return body

    def _request(self, method: str, body: bytes | None) -> str:
        if self._closed:
            raise TransportClosed(f"the {self.name} transport is closed")
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = self.content_type
        request = urllib.request.Request(self.url(), data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            exc.close()
            raise TransportClosed(f"{method} answered HTTP {exc.code}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise TransportClosed(f"{method} failed: {exc}") from exc


class JsonpPollingTransport(XhrPollingTransport):
    """``jsonp-polling``: as xhr-polling, but a GET answers a script
    ``io.j[0]("<payload as a JSON string>");`` and a POST is a form whose field ``d``
    holds the payload as a JSON string (what the 0.9 client does in old browsers)."""

    name = "jsonp-polling"
    content_type = "application/x-www-form-urlencoded"

    def url(self) -> str:
        return super().url() + "&i=0"

    def encode_body(self, payload: str) -> bytes:
        return urlencode({"d": json_dumps(payload)}).encode("ascii")

    def decode_body(self, body: str) -> str:
        if not body:
            return ""
        found = _JSONP_BODY.fullmatch(body.strip())
        try:
            payload = json_loads(found.group(1)) if found else None
        except ProtocolError:
            payload = None
        if not isinstance(payload, str):
            raise TransportClosed(f"expected io.j[0](\"...\"); from jsonp-polling, got "
                                  f"{body[:60]!r}")
        return payload


_JSONP_BODY = re.compile(r"io\.j\[0\]\((.*)\);?", re.S)

#: Transport name -> class, in the order the client prefers them.
TRANSPORTS: dict[str, type[ClientTransport]] = {
    WebsocketTransport.name: WebsocketTransport,
    XhrPollingTransport.name: XhrPollingTransport,
    JsonpPollingTransport.name: JsonpPollingTransport,
}
