"""Serve the sdjango test project in a process of its own (Django's settings are global
to a process, and the Django example of examples/ configures others in the test process).

``python -m tests.compat.django_server`` prints the port it listens on (127.0.0.1, a free
port), serves until its standard input closes, then stops.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import django  # noqa: E402
import gevent  # noqa: E402
from django.conf import settings  # noqa: E402

from tests.compat import django_site  # noqa: E402


def main() -> None:
    settings.configure(**django_site.SETTINGS)
    django.setup()
    from django.core.wsgi import get_wsgi_application

    from geventsio import SocketIOServer

    server = SocketIOServer(("127.0.0.1", 0), get_wsgi_application(), namespaces=None,
                            heartbeat_interval=1, heartbeat_timeout=5, close_timeout=3,
                            polling_duration=1, log=None)
    server.start()
    print(server.server_port, flush=True)
    gevent.get_hub().threadpool.spawn(sys.stdin.read).get()  # until stdin closes
    server.stop(timeout=2)


if __name__ == "__main__":
    main()
