"""Server websocket frames: our cheap header writer against gevent-websocket's own."""

import pytest
from geventwebsocket.websocket import Header, WebSocket

from geventsio.transports.websocket import encode_text_frames, text_frame_header


def _reference(texts):
    parts = []
    for text in texts:
        data = text.encode("utf-8")
        parts.append(bytes(Header.encode_header(True, WebSocket.OPCODE_TEXT, b"", len(data), 0)))
        parts.append(data)
    return b"".join(parts)


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_header_matches_gevent_websocket(length):
    assert text_frame_header(length) == bytes(
        Header.encode_header(True, WebSocket.OPCODE_TEXT, b"", length, 0))


@pytest.mark.parametrize("texts", [["2::"], ["é" * 70, "😀"], ["", "a" * 200, "b" * 70000],
                                   ["a" * 125], ["b" * 126], ["c" * 124, "d" * 125, "e" * 126]])
def test_frames_match_gevent_websocket(texts):
    assert encode_text_frames(texts) == _reference(texts)


def test_consecutive_texts_each_get_their_own_frame():
    # encode_text_frames remembers the last text framed (a broadcast frames once);
    # an equal but different, or a different, text must never get a stale frame.
    first = "5:::" + "x" * 10
    assert encode_text_frames([first]) == _reference([first])
    assert encode_text_frames([first]) == _reference([first])
    second = "".join(["5:::", "x" * 9, "y"])
    assert encode_text_frames([second]) == _reference([second])
    assert encode_text_frames([first, second, first]) == _reference([first, second, first])
