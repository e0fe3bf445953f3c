"""Coverage-guided fuzzing of every geventsio parser with atheris (libFuzzer).

Not part of the test suite or CI: run it by hand for minutes or hours (docs/fuzzing.md)::

    pip install atheris
    mkdir -p /tmp/gsio-corpus
    python fuzz/atheris_protocol.py -dict=fuzz/protocol.dict -max_total_time=300 \\
        -artifact_prefix=/tmp/gsio- /tmp/gsio-corpus

The first input byte picks the parser, the rest is its input:

0. ``decode_packet`` on the text;
1. ``decode_payload``, then ``decode_packet`` on every frame;
2. the handshake and the URL: ``parse_handshake``, ``parse_target``, ``parse_query`` and
   ``parse_jsonp_index`` on what the query holds;
3. a POST body of each HTTP transport: ``decode_post`` (jsonp-polling's form, the others'
   raw UTF-8), then the payload and its packets;
4. the request-header reader, ``RequestHeaders.read``;
5. the websocket frame parser, ``FrameParser.feed`` fed the input in pieces whose sizes
   come from the input, with a message limit taken from the input.

What may escape is what the docs promise: ProtocolError from the protocol parsers and
POST decoders, nothing from the header reader (a bad block is a ``status``, and no kept
line may hold CR, LF or NUL), FrameError (a ProtocolError) from the frame parser, and no
message larger than the limit.
Anything else propagates, and libFuzzer saves the input that raised it.
"""

from __future__ import annotations

import io
import sys

import atheris

with atheris.instrument_imports(include=["geventsio"]):
    from geventsio.exceptions import ProtocolError
    from geventsio.http.headers import RequestHeaders
    from geventsio.protocol import (
        decode_packet,
        decode_payload,
        parse_handshake,
        parse_jsonp_index,
        parse_query,
        parse_target,
    )
    from geventsio.protocol.frames import FrameParser, Message
    from geventsio.transports import TRANSPORTS

POST_DECODERS = [cls.decode_post for _, cls in sorted(TRANSPORTS.items())
                 if hasattr(cls, "decode_post")]
MAX_SIZES = (1, 16, 125, 126, 1000, 65536, 1_000_000)


def _text(data: bytes) -> str:
    """The bytes as text, lone surrogates kept when the input spells them."""
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _protocol(call, *args):
    """Call a protocol parser: its result, or None for a ProtocolError."""
    try:
        return call(*args)
    except ProtocolError:
        return None


def _payload_and_packets(text: str) -> None:
    for packet_text in _protocol(decode_payload, text) or []:
        _protocol(decode_packet, packet_text)


def _urls(text: str) -> None:
    _protocol(parse_handshake, text)
    path, _, query_string = text.partition("?")
    parse_target(path, "socket.io")
    query = parse_query(query_string)
    _protocol(parse_jsonp_index, query.get("i"))
    _protocol(parse_jsonp_index, query.get("jsonp"))


def _post(data: bytes) -> None:
    decode = POST_DECODERS[data[0] % len(POST_DECODERS)] if data else POST_DECODERS[0]
    payload = _protocol(decode, data[1:])
    if payload is not None:
        _payload_and_packets(payload)


def _headers(data: bytes) -> None:
    headers = RequestHeaders.read(io.BytesIO(data))
    for line in headers.lines:
        if "\r" in line or "\n" in line or "\x00" in line:
            raise AssertionError(f"a header line kept a line break or NUL: {line!r}")
    headers.get("origin")
    headers.items()


def _frames(data: bytes) -> None:
    max_size = MAX_SIZES[data[0] % len(MAX_SIZES)] if data else 1000
    step = 1 + (data[1] if len(data) > 1 else 0)  # bytes per feed: frames cut anywhere
    parser = FrameParser(max_size)
    body = data[2:]
    try:
        for start in range(0, len(body), step):
            for event in parser.feed(body[start:start + step]):
                if type(event) is Message:
                    size = len(event.data) if isinstance(event.data, bytes) \
                        else len(event.data.encode("utf-8", "surrogatepass"))
                    if size > max_size:
                        raise AssertionError(
                            f"a message of {size} bytes passed a limit of {max_size}")
    except ProtocolError:  # FrameError: the connection would be closed with its code
        pass


TARGETS = [
    lambda data: _protocol(decode_packet, _text(data)),
    lambda data: _payload_and_packets(_text(data)),
    lambda data: _urls(_text(data)),
    _post,
    _headers,
    _frames,
]


def test_one_input(data: bytes) -> None:
    """libFuzzer's entry point: the first byte picks the parser."""
    if not data:
        return
    TARGETS[data[0] % len(TARGETS)](data[1:])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
