"""The short way for a Socket.IO request that arrived whole: read from the buffer in one step.

Under load, a polling client's request (line, headers and its small body) almost always
arrives in one segment, so it is already in the connection's read buffer when the
handler looks. gevent's ``WSGIHandler`` still reads it in steps (a ``readline`` for the
request line, the header block, a ``wsgi.input`` for the body, a ``_discard`` after the
answer), each with its own deadline, which made up about a third of the server's CPU
per xhr-polling round trip (benchmarks/FINDINGS.md, issue 14).

:func:`buffered_request` takes such a request from the buffered bytes in one step, but
only one that gevent's way would read exactly the same: a request line of three words
(``GET``, ``POST`` or ``OPTIONS``, a path under the Socket.IO resource, ``HTTP/1.1`` or
``HTTP/1.0``), a header block that :meth:`RequestHeaders.plain_block` accepts as it is
and whose framing is unambiguous, no ``Transfer-Encoding``, no ``Expect``, and the whole
``Content-Length`` body in the buffer. For anything else it returns None and the handler
reads the request gevent's way, where every refusal (400, 413, 414, 431, 408) is made.
It consumes nothing itself: the caller consumes :attr:`BufferedRequest.size` bytes.
"""

from __future__ import annotations

from gevent.pywsgi import MAX_REQUEST_LINE

from .headers import RequestHeaders

__all__ = ["BufferedRequest", "buffered_request", "LEAN_METHODS"]

#: Methods read the short way (HEAD and the others have rules of their own in gevent).
LEAN_METHODS = frozenset(("GET", "POST", "OPTIONS"))
_VERSIONS = frozenset(("HTTP/1.1", "HTTP/1.0"))


class BufferedRequest:
    """One request read whole from the buffer: what gevent's ``read_request`` would set."""

    __slots__ = ("requestline", "command", "path", "version", "headers", "block", "body",
                 "content_length", "size", "close")

    def __init__(self, requestline: str, words: list[str], headers: RequestHeaders,
                 block: bytes, body: bytes, content_length: int | None, size: int) -> None:
        self.requestline = requestline
        self.command, self.path, self.version = words
        #: The headers, read from ``block`` (the header lines' bytes); shared with the
        #: connection's next request when it sends the same block, so never changed.
        self.headers = headers
        self.block = block
        #: The whole body (``b""`` when there is none).
        self.body = body
        #: The ``Content-Length`` as a number, None when the request has none.
        self.content_length = content_length
        #: How many buffered bytes the request takes, body included.
        self.size = size
        #: Whether the connection ends after the answer (as gevent decides it).
        connection = headers.get("connection")
        if self.version == "HTTP/1.1":
            self.close = connection is not None and connection.lower() == "close"
        else:
            self.close = connection is None or connection.lower() != "keep-alive"


def buffered_request(buffered: bytes, prefix: str, max_header_bytes: int,
                     max_headers: int, max_body: int,
                     last: "BufferedRequest | None" = None) -> BufferedRequest | None:
    """The request at the start of ``buffered`` if it is whole and plain (see the module's
    text), its path starts with ``prefix`` and its body is at most ``max_body`` bytes;
    None otherwise, nothing decided. ``last``, the connection's previous request read
    this way, lends its headers when this request's header block is the same bytes (a
    polling client sends the same block with every poll)."""
    line_end = buffered.find(b"\r\n")
    if line_end < 0 or line_end + 2 >= MAX_REQUEST_LINE:  # gevent answers 414 from there
        return None
    end = buffered.find(b"\r\n\r\n", line_end)  # == line_end when there are no headers
    if end < 0 or end - line_end + 2 > max_header_bytes:
        return None
    requestline = buffered[:line_end].decode("latin-1")  # one char per byte
    if "\r" in requestline or "\n" in requestline or "\x00" in requestline:
        return None  # (looked for in the str: ``in`` on bytes costs 10x as much)
    words = requestline.split()
    if (len(words) != 3 or words[0] not in LEAN_METHODS or words[2] not in _VERSIONS
            or not words[1].startswith(prefix)):
        return None
    block = buffered[line_end + 2:end]  # b"" when there are no headers
    if last is not None and block == last.block and words[2] == last.version:
        headers = last.headers
    else:
        found = _plain_headers(block, words[2], max_headers)
        if found is None:
            return None
        headers = found
    return _with_body(buffered, requestline, words, headers, block, end + 4, max_body)


def _plain_headers(block: bytes, version: str, max_headers: int) -> RequestHeaders | None:
    """The headers of ``block`` if the block is plain and says nothing that gevent's way
    must judge (framing, ``Expect``, ``Transfer-Encoding``); else None."""
    headers = RequestHeaders.plain_block(block, max_headers)
    if headers is None or headers.framing_problem(version) or "expect" in headers \
            or "transfer-encoding" in headers:
        return None
    return headers


def _with_body(buffered: bytes, requestline: str, words: list[str],
               headers: RequestHeaders, block: bytes, head_size: int,
               max_body: int) -> BufferedRequest | None:
    """The request with its body, if all of it is buffered (and not over ``max_body``)."""
    length_text = headers.get("content-length")
    if length_text is None:
        if words[0] == "POST":
            return None  # a body without a length: gevent's way decides what it is
        return BufferedRequest(requestline, words, headers, block, b"", None, head_size)
    length = int(length_text)  # framing_problem let only digits through
    size = head_size + length
    if length > max_body or size > len(buffered):
        return None
    return BufferedRequest(requestline, words, headers, block, buffered[head_size:size],
                           length, size)
