"""Flask + geventsio: namespaces given to the server, an emit from a normal view, and the
Flask session (the login) read at handshake by ``authorization``.

From the project root, after ``pip install -e '.[test]'`` and ``npm install``::

    .venv/bin/python examples/flask_app/flask_app.py      # http://127.0.0.1:8080/

Log in under two names in two windows, comment, and publish a headline: ``/publish`` is a
plain Flask view that reaches every connected client through ``server.of('/news')``.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, current_app, jsonify, request, send_file, session  # noqa: E402

from geventsio import BaseNamespace, SocketIOServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class NewsNamespace(BaseNamespace):
    """Signed-in users read headlines and comment on them."""

    def recv_connect(self) -> None:
        # 'user' was put in the handshake data by authorization() below
        self.emit("hello", self.handshake["user"])

    def on_comment(self, text: str) -> bool:
        self.io.emit("comment", self.handshake["user"], text)
        return True


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(16)

    @app.route("/")
    def index() -> Any:
        return send_file(os.path.join(HERE, "index.html"))

    @app.post("/login")
    def login() -> Any:
        name = request.form.get("name", "").strip()
        if not name:
            return jsonify(error="a name, please"), 400
        session["user"] = name
        return jsonify(user=name)

    @app.post("/publish")
    def publish() -> Any:
        """A normal view: emit to every client of /news, from outside any namespace."""
        if "user" not in session:
            return jsonify(error="log in first"), 403
        server: SocketIOServer = current_app.extensions["geventsio"]
        server.of("/news").emit("headline", request.form["title"], session["user"])
        return jsonify(sent=len(server.of("/news").clients()))

    return app


def make_authorization(app: Flask) -> Any:
    """The handshake check: let in only browsers whose Flask session has a user."""

    def authorization(handshake: dict[str, Any]) -> bool:
        cookie = handshake["headers"].get("cookie", "")
        with app.test_request_context("/", headers={"Cookie": cookie}):
            user = session.get("user")  # Flask decodes and checks its signed cookie
        handshake["user"] = user  # namespaces read it as self.handshake['user']
        return user is not None

    return authorization


def make_server(host: str = "127.0.0.1", port: int = 8080, **options: Any) -> SocketIOServer:
    """The server the example runs (also used by its test)."""
    app = create_app()
    server = SocketIOServer((host, port), app, namespaces={"/news": NewsNamespace},
                            authorization=make_authorization(app), **options)
    app.extensions["geventsio"] = server
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    print(f"Listening on http://{args.host}:{args.port}/")
    make_server(args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
