"""RFC 6455 websocket frames, without I/O: bytes in, messages out, and frames back.

:class:`FrameParser` is fed whatever bytes a connection received (any split: half a
header, several frames at once) and returns what they completed: whole messages
(fragments joined), pings, pongs and a close. It enforces the rules a server must check:
client frames are masked, reserved bits are clear, control frames are final and at most
125 bytes, continuation frames follow a started message, text is UTF-8, a close code is
one a peer may send, and a message is no larger than ``max_message`` bytes, refused from
the frame header before any payload is buffered. A broken rule raises
:class:`FrameError` (a :class:`~geventsio.exceptions.ProtocolError`) carrying the close
code to answer with.

The builders make unmasked server frames (or masked client frames, for a client).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..exceptions import ProtocolError

__all__ = [
    "Opcode", "CloseCode", "FrameError", "Message", "Ping", "Pong", "Close", "FrameParser",
    "encode_frame", "text_frame_header", "close_frame",
]


class Opcode(enum.IntEnum):
    """Frame opcodes (RFC 6455 section 5.2)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(enum.IntEnum):
    """The close codes this server sends (RFC 6455 section 7.4.1)."""

    NORMAL = 1000
    PROTOCOL_ERROR = 1002
    INVALID_DATA = 1007
    TOO_BIG = 1009


class FrameError(ProtocolError):
    """Frames that break RFC 6455 (or our size limit); ``close_code`` is the answer."""

    def __init__(self, message: str, close_code: CloseCode = CloseCode.PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.close_code = close_code


@dataclass(frozen=True, slots=True)
class Message:
    """A whole data message: ``str`` for text, ``bytes`` for binary."""

    data: str | bytes


@dataclass(frozen=True)
class Ping:
    payload: bytes


@dataclass(frozen=True)
class Pong:
    payload: bytes


@dataclass(frozen=True)
class Close:
    """The peer's close frame: its code (1005, "none given", when it had no body)."""

    code: int
    reason: str


Event = Message | Ping | Pong | Close

_DATA = (Opcode.TEXT, Opcode.BINARY)
_KNOWN = frozenset(int(op) for op in Opcode)
_NO_CODE = 1005


class FrameParser:
    """Turns received bytes into :data:`Event` objects; one parser per connection."""

    __slots__ = ("max_message", "require_mask", "_buffer", "_opcode", "_parts", "_size",
                 "closed")

    def __init__(self, max_message: int, require_mask: bool = True) -> None:
        self.max_message = max_message
        self.require_mask = require_mask
        self._buffer = bytearray()
        self._opcode: int | None = None  # the data message being continued
        self._parts: list[bytes] = []
        self._size = 0
        #: True once a close frame was parsed; later bytes are ignored.
        self.closed = False

    def feed(self, data: bytes) -> list[Event]:
        """Everything ``data`` (with what was left over before) completes, in order.

        Raises FrameError on the first rule broken; the connection should then be
        closed with its ``close_code``.
        """
        if self.closed:
            return []
        buffer: bytes | bytearray = self._buffer
        if buffer:  # the rest of a frame is waiting: the bytearray grows in place
            buffer += data
        else:  # the usual case: read the frames in place, keep only a rest if any
            buffer = data
        events: list[Event] = []
        position, size = 0, len(buffer)
        try:
            while not self.closed:
                # Read inline: a whole, final, masked text frame of < 126 bytes outside a
                # fragmented message (what a client sends per packet); the same checks hold.
                if size - position >= 6 and buffer[position] == 0x81 and self._opcode is None:
                    length = buffer[position + 1] - 0x80  # < 0: not masked
                    end = position + 6 + length
                    if 0 <= length < 126 and end <= size and length <= self.max_message:
                        events.append(_text_message(
                            buffer[position + 6:end], buffer[position + 2:position + 6]))
                        position = end
                        if position < size:
                            continue
                        break  # all read: no need to look for another frame
                frame = self._frame_at(buffer, position)
                if frame is None:
                    break
                opcode, fin, payload, position = frame
                event = self._event(opcode, fin, payload)
                if event is not None:
                    events.append(event)
        finally:
            if position < size or buffer is self._buffer:  # else nothing is left to keep
                self._keep_rest(buffer, position)
        return events

    def _keep_rest(self, read: bytes | bytearray, position: int) -> None:
        """Keep what follows ``position`` in ``read`` (the buffer, or the bytes fed) for
        the next feed: once per feed, since frames are read in place."""
        if read is self._buffer:
            del self._buffer[:position]
        elif position < len(read):
            self._buffer += memoryview(read)[position:]

    def _frame_at(self, buffer: bytes | bytearray,
                  start: int) -> tuple[int, bool, bytes, int] | None:
        """(opcode, fin, unmasked payload, where the next frame starts) of the frame at
        ``start``; None if it is not all there yet."""
        available = len(buffer) - start
        if available < 2:
            return None
        first, second = buffer[start], buffer[start + 1]
        opcode, fin, length = first & 0x0F, bool(first & 0x80), second & 0x7F
        masked = bool(second & 0x80)
        self._check_header(first, opcode, fin, length, masked)
        offset = 2
        if length >= 126:
            extra = 2 if length == 126 else 8
            if available < 2 + extra:
                return None
            length = int.from_bytes(buffer[start + 2:start + 2 + extra], "big")
            offset += extra
            if extra == 8 and length >> 63:
                raise FrameError("a frame length with its top bit set")
        self._check_size(opcode, length)
        end = offset + (4 if masked else 0) + length
        if available < end:
            return None
        payload = bytes(buffer[start + end - length:start + end])
        if masked:
            payload = unmask(payload, bytes(buffer[start + offset:start + offset + 4]))
        return opcode, fin, payload, start + end

    def _check_header(self, first: int, opcode: int, fin: bool, length: int,
                      masked: bool) -> None:
        if first & 0x70:
            raise FrameError("reserved bits set in a frame header (no extension agreed)")
        if opcode not in _KNOWN:
            raise FrameError(f"unknown opcode {opcode:#x}")
        if self.require_mask and not masked:
            raise FrameError("an unmasked client frame")
        if opcode >= Opcode.CLOSE and (not fin or length > 125):
            raise FrameError("a control frame that is fragmented or longer than 125 bytes")

    def _check_size(self, opcode: int, length: int) -> None:
        """Refuse a data frame that makes its message too large, from its header."""
        if opcode >= Opcode.CLOSE:
            return
        total = (length if opcode in _DATA else self._size + length)
        if total > self.max_message:
            raise FrameError(
                f"websocket message of {total} bytes exceeds the limit of {self.max_message}",
                CloseCode.TOO_BIG)

    def _event(self, opcode: int, fin: bool, payload: bytes) -> Event | None:
        if opcode == Opcode.PING:
            return Ping(payload)
        if opcode == Opcode.PONG:
            return Pong(payload)
        if opcode == Opcode.CLOSE:
            self.closed = True
            return _close_event(payload)
        if opcode in _DATA:
            if self._opcode is not None:
                raise FrameError("a new message started inside a fragmented one")
            self._opcode, self._parts, self._size = opcode, [], 0
        elif self._opcode is None:
            raise FrameError("a continuation frame with no message to continue")
        self._parts.append(payload)
        self._size += len(payload)
        if not fin:
            return None
        return self._finish_message()

    def _finish_message(self) -> Message:
        opcode, parts = self._opcode, self._parts
        self._opcode, self._parts, self._size = None, [], 0
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if opcode == Opcode.BINARY:
            return Message(data)
        return _text_message(data)


_set_message_data: Any = vars(Message)["data"].__set__  # the slot's descriptor
_new = object.__new__


def _text_message(data: bytes | bytearray, mask: bytes | bytearray | None = None) -> Message:
    """The Message of a text message's bytes, unmasked with ``mask`` if given (what
    :func:`unmask` does, without its call); FrameError if they are not UTF-8."""
    if mask is not None:
        length = len(data)
        key = (mask * (length // 4 + 1))[:length]
        data = (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(
            length, "little")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("a text message that is not UTF-8", CloseCode.INVALID_DATA) from None
    message = _new(Message)
    _set_message_data(message, text)  # a frozen dataclass's __init__, without its overhead
    return message


def _close_event(payload: bytes) -> Close:
    if not payload:
        return Close(_NO_CODE, "")
    if len(payload) < 2:
        raise FrameError("a close frame with a 1-byte body")
    code = int.from_bytes(payload[:2], "big")
    if not (1000 <= code <= 1011 and code not in (1004, 1005, 1006) or 3000 <= code <= 4999):
        raise FrameError(f"close code {code}, which a peer may not send")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("a close reason that is not UTF-8", CloseCode.INVALID_DATA) from None
    return Close(code, reason)


def unmask(payload: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` (one big-int operation: fast)."""
    length = len(payload)
    key = (mask * (length // 4 + 1))[:length]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(
        length, "little")


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, final server text frame carrying ``length`` bytes."""
    if length < 126:
        return SMALL_TEXT_HEADERS[length]
    if length < 0x10000:
        return b"\x81\x7e" + length.to_bytes(2, "big")
    return b"\x81\x7f" + length.to_bytes(8, "big")


#: Headers of the text frames that fit a 7-bit length (index: the length): most
#: packets, built once.
SMALL_TEXT_HEADERS = tuple(bytes((0x81, n)) for n in range(126))


def encode_frame(opcode: Opcode, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame; ``mask`` (4 bytes) makes a masked client frame."""
    length = len(payload)
    if length < 126:
        head = bytes((0x80 | opcode, length | (0x80 if mask else 0)))
    elif length < 0x10000:
        head = bytes((0x80 | opcode, 126 | (0x80 if mask else 0))) + length.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127 | (0x80 if mask else 0))) + length.to_bytes(8, "big")
    if mask:
        return head + mask + unmask(payload, mask)
    return head + payload


def close_frame(code: int, reason: str = "") -> bytes:
    """An unmasked server close frame carrying ``code``."""
    return encode_frame(Opcode.CLOSE, code.to_bytes(2, "big") + reason.encode("utf-8"))
