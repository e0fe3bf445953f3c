"""``python -m geventsio``: see :mod:`geventsio.cli`."""

from gevent import monkey

monkey.patch_all()  # before the application is imported

import sys  # noqa: E402

from geventsio.cli import main  # noqa: E402

sys.exit(main())
