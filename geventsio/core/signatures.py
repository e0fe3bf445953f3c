"""How many positional arguments a function takes: one answer for handlers and callbacks.

A namespace checks a client's event against its handler's range once per class; an emit
with a callback asks whether the callback takes any argument (to ask for a data ack and
to call it with the ack's arguments). Both read :func:`positional_range`.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

__all__ = ["MANY", "ARITY_CACHE", "positional_range", "accepts_arguments", "handler_arity"]

#: "Any number of arguments" (a ``*args`` parameter).
MANY = 1 << 30


def positional_range(fn: Callable[..., Any]) -> tuple[int, int]:
    """(least, most) positional arguments ``fn`` can be called with (``MANY`` for
    ``*args``); a callable whose signature cannot be read takes (0, MANY).

    Plain functions and bound methods are read from their code object (cheap: this runs
    for every emit with a callback); anything else goes through ``inspect``.
    """
    code = getattr(fn, "__code__", None)
    if code is not None and not hasattr(fn, "__wrapped__"):
        bound = 1 if inspect.ismethod(fn) else 0
        high = code.co_argcount - bound
        low = high - len(getattr(fn, "__defaults__", None) or ())
        most = MANY if code.co_flags & inspect.CO_VARARGS else high
        return max(low, 0), most
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0, MANY
    low = high = 0
    for param in params:
        if param.kind is param.VAR_POSITIONAL:
            high = MANY
        elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            high += 1 if high < MANY else 0
            if param.default is param.empty:
                low += 1
    return low, max(low, high)


def accepts_arguments(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` can take at least one positional argument."""
    return positional_range(fn)[1] > 0


#: The class attribute holding a class's own {method name -> arity} cache. It lives in
#: the class's ``__dict__`` (read with ``cls.__dict__.get(ARITY_CACHE)``, so a subclass
#: never sees its base's answers) and goes with the class (one built at run time can go
#: away): looked up with no Python call, which a namespace does on every event.
ARITY_CACHE = "_geventsio_arities"


def handler_arity(cls: type, name: str, method: Callable[..., Any]) -> tuple[int, int, bool]:
    """(least, most) positional arguments ``method`` takes, and whether its one
    parameter is named ``packet`` (gevent-socketio's "give me the packet dict");
    computed once per class."""
    per_class = cls.__dict__.get(ARITY_CACHE)
    if per_class is None:
        per_class = {}
        try:
            setattr(cls, ARITY_CACHE, per_class)
        except (TypeError, AttributeError):  # a class that takes no attributes: no cache
            return _handler_range(method)
    found = per_class.get(name)
    if found is None:
        found = per_class[name] = _handler_range(method)
    return found


def _handler_range(fn: Callable[..., Any]) -> tuple[int, int, bool]:
    """:func:`positional_range`, and whether the one parameter is
    named ``packet`` (gevent-socketio's "give me the packet dict")."""
    low, high = positional_range(fn)
    try:
        wants_packet = list(inspect.signature(fn).parameters) == ["packet"]
    except (TypeError, ValueError):
        wants_packet = False
    return low, high, wants_packet
