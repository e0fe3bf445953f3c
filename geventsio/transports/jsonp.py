"""jsonp-polling: xhr-polling for pages that can neither use CORS nor websockets.

A poll is a ``<script>`` GET ``...?t=..&i=N`` answered ``io.j[N]("<payload>");`` (the
index parsed as an integer, the payload written by the JSON encoder with U+2028/U+2029
escaped, so nothing in it can end the string). The client sends with a hidden form: a
POST whose ``application/x-www-form-urlencoded`` field ``d`` holds the payload as a JSON
string, answered ``1``. Everything else is xhr-polling.
"""

from __future__ import annotations

from typing import ClassVar

from ..protocol import decode_jsonp_form, jsonp_body, parse_jsonp_index
from .polling import XHRPollingTransport

__all__ = ["JSONPPollingTransport"]


class JSONPPollingTransport(XHRPollingTransport):
    """One long-poll ``<script>`` request of one session."""

    name: ClassVar[str] = "jsonp-polling"
    content_type: ClassVar[str] = "text/javascript; charset=UTF-8"
    #: As the reference: the body echoes client data, so no browser XSS filter heuristics.
    answer_headers: ClassVar[tuple[tuple[str, str], ...]] = (("X-XSS-Protection", "0"),)

    __slots__ = ()

    @staticmethod
    def parse_index(query: dict[str, str]) -> int:
        """The ``i`` query value as an int (ProtocolError unless 1-7 digits; 0 if absent)."""
        return parse_jsonp_index(query.get("i"))

    @staticmethod
    def render(payload: str, index: int) -> str:
        """``io.j[index]("<payload>");``."""
        return jsonp_body(index, payload)

    @staticmethod
    def decode_post(body: bytes) -> str:
        """Field ``d`` of the form body, JSON-decoded (raises ProtocolError)."""
        return decode_jsonp_form(body)
