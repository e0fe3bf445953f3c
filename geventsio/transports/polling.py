"""xhr-polling: a GET is a long poll, a POST carries a payload from the client.

The GET attaches the transport to the session, waits until packets are queued (or
``polling_duration`` passes, then ``8::``), and answers with everything queued at that
moment, framed. A POST's payload is dispatched before it is answered ``1``.

The class also says how its requests and answers look over HTTP (``content_type``,
:meth:`~XHRPollingTransport.render`, :meth:`~XHRPollingTransport.decode_post`), which the
handler uses; jsonp-polling overrides just those.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from ..core.session import CLOSED
from ..exceptions import ProtocolError
from ..protocol import NoopPacket, encode_packet, encode_payload

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = ["XHRPollingTransport", "decode_text_body"]

NOOP = encode_packet(NoopPacket())


def decode_text_body(body: bytes) -> str:
    """A POST body carrying a raw payload, as text; ProtocolError unless it is UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"body is not valid UTF-8: {exc.reason} at byte {exc.start}") from None


class XHRPollingTransport:
    """One long-poll GET of one session."""

    name: ClassVar[str] = "xhr-polling"
    streaming: ClassVar[bool] = False
    #: Content type of a poll's answer, and headers it carries besides CORS ones.
    content_type: ClassVar[str] = "text/plain; charset=UTF-8"
    answer_headers: ClassVar[tuple[tuple[str, str], ...]] = ()

    __slots__ = ("session", "_replaced", "_answered")

    def __init__(self, session: "Session") -> None:
        self.session = session
        self._replaced = False
        self._answered = False

    @staticmethod
    def parse_index(query: dict[str, str]) -> int:
        """The callback index a poll names (jsonp only; 0 here)."""
        return 0

    @staticmethod
    def render(payload: str, index: int) -> str:
        """The body answering a poll with ``payload``: the payload itself."""
        return payload

    @staticmethod
    def decode_post(body: bytes) -> str:
        """The payload text of a POST body (raises ProtocolError)."""
        return decode_text_body(body)

    @classmethod
    def ended_answer(cls, payload: str, index: int, opened: bool) -> bytes:
        """A poll's answer carrying ``payload`` (``7:::1+0`` or a farewell); a poll's
        answer is written whole, so ``opened`` changes nothing."""
        return cls.render(payload, index).encode("utf-8")

    def poll(self, duration: float) -> str:
        """Wait for packets and return the payload to answer the GET with."""
        session = self.session
        session.attach(self)
        try:
            self._wait(duration)
            self._answered = True
            if self._replaced:
                return NOOP
            packets = session.outbox.take_all()
        finally:
            self._answered = True
            session.detach(self)
        return encode_payload(packets) if packets else NOOP

    def _wait(self, duration: float) -> None:
        outbox = self.session.outbox
        deadline = time.monotonic() + duration
        while not self._replaced and not len(outbox):
            if self.session.state is CLOSED:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            outbox.rearm()
            outbox.wait(remaining)

    def ready_for_volatile(self) -> bool:
        """True while this poll is still waiting: a packet queued now goes out with it."""
        return not self._answered and not self._replaced

    def replaced(self) -> None:
        """A newer poll took over: this one answers at once with a noop."""
        self._replaced = True
        self.session.outbox.wake()

    def session_closed(self) -> None:
        """The session ended: answer now with what is queued (``0::`` if it was kicked)."""
        self.session.outbox.wake()
