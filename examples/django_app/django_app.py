"""Django + geventsio in one file: a URL route hands Socket.IO requests to
``socketio_manage``, and Django's auth decides at handshake who may connect.

From the project root, after ``pip install -e '.[test]'`` and ``npm install``::

    .venv/bin/python examples/django_app/django_app.py     # http://127.0.0.1:8000/

The demo users ``alice`` / ``wonderland`` and ``bob`` / ``builder`` are created in a
SQLite file (``DJANGO_APP_DB``, default ``django_app.sqlite3`` in the system's temp dir).
A real project keeps its ``settings.py`` and ``urls.py``; the parts that matter are
:func:`socketio_view`, its URL route, and :func:`authorization`.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import tempfile  # noqa: E402
from http.cookies import SimpleCookie  # noqa: E402
from typing import Any  # noqa: E402

import django  # noqa: E402
from django.conf import settings  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO_USERS = {"alice": "wonderland", "bob": "builder"}

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_hex(32),
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                    "django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware"],
    # sessions in a signed cookie: the handshake check needs no session table
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get(
        "DJANGO_APP_DB", os.path.join(tempfile.gettempdir(), "django_app.sqlite3"))}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.contrib.auth import authenticate, get_user, login  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402

from geventsio import BaseNamespace, SocketIOServer, socketio_manage  # noqa: E402


class ChatNamespace(BaseNamespace):
    """Signed-in users talk; the name comes from Django's auth, via the handshake."""

    def recv_connect(self) -> None:
        self.emit("hello", self.handshake["user"])

    def on_say(self, text: str) -> bool:
        self.io.emit("said", self.handshake["user"], text)
        return True


def authorization(handshake: dict[str, Any]) -> bool:
    """The handshake check: Django's session cookie must belong to a signed-in user."""
    cookie = SimpleCookie(handshake["headers"].get("cookie", ""))
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    request = HttpRequest()
    request.session = import_string(settings.SESSION_ENGINE + ".SessionStore")(
        morsel.value if morsel else None)
    try:
        user = get_user(request)
    finally:
        connection.close()  # this greenlet's connection; no request cycle closes it
    handshake["user"] = user.get_username() if user.is_authenticated else None
    return user.is_authenticated


@ensure_csrf_cookie
def index(request: HttpRequest) -> FileResponse:
    return FileResponse(open(os.path.join(HERE, "index.html"), "rb"),
                        content_type="text/html")


@require_POST
def login_view(request: HttpRequest) -> JsonResponse:
    user = authenticate(request, username=request.POST.get("username", ""),
                        password=request.POST.get("password", ""))
    if user is None:
        return JsonResponse({"error": "wrong name or password"}, status=403)
    login(request, user)
    return JsonResponse({"user": user.get_username()})


@csrf_exempt  # the Socket.IO transports POST without Django's CSRF token
def socketio_view(request: HttpRequest, rest: str) -> HttpResponse:
    """Every request under /socket.io/ is routed here (gevent-socketio style)."""
    socketio_manage(request.environ, {"/chat": ChatNamespace}, request)
    return HttpResponse()


urlpatterns = [
    path("", index),
    path("login", login_view),
    path("socket.io/<path:rest>", socketio_view),
]


def prepare_database() -> None:
    """Create the tables and the demo users if they are missing."""
    call_command("migrate", verbosity=0)
    for name, password in DEMO_USERS.items():
        if not User.objects.filter(username=name).exists():
            User.objects.create_user(name, password=password)
    connection.close()


def make_server(host: str = "127.0.0.1", port: int = 8000, **options: Any) -> SocketIOServer:
    """The server the example runs (also used by its test)."""
    prepare_database()
    return SocketIOServer((host, port), WSGIHandler(), authorization=authorization, **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(f"Listening on http://{args.host}:{args.port}/")
    make_server(args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
