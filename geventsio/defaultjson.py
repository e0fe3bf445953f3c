"""gevent-socketio's ``socketio.defaultjson``: the JSON functions of the wire format.

``default_json_dumps`` writes compact JSON as the JavaScript client's ``JSON.stringify``
does (the codec's own function: orjson when installed, the stdlib otherwise);
``default_json_loads`` reads it and refuses ``NaN``/``Infinity``. Both raise
:class:`~geventsio.exceptions.ProtocolError` on what they cannot handle. Give your own to
``socketio_manage(json_dumps=..., json_loads=...)`` to change how values are written or
read for a session.
"""

from typing import Any

from .protocol import json_dumps as _dumps
from .protocol import json_loads as _loads

__all__ = ["default_json_dumps", "default_json_loads"]


def default_json_dumps(data: Any) -> str:
    """``data`` as compact JSON text."""
    return _dumps(data)


def default_json_loads(data: str) -> Any:
    """The value of JSON text ``data``."""
    return _loads(data)
