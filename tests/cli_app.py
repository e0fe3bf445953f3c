"""A small app served by ``python -m geventsio`` in tests/test_cli.py."""

from geventsio import BaseNamespace


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"plain WSGI " + environ["PATH_INFO"].encode()]


class Chat(BaseNamespace):
    def on_add(self, a, b):
        return a + b

    def on_where(self):
        self.emit("here", self.ns_name, self.handshake["query"].get("who"))


def only_alice(handshake):
    return handshake["query"].get("who") == "alice"


NOT_A_CALLABLE = 42
