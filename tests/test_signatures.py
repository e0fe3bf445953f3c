"""positional_range: the code-object fast path agrees with inspect's reading."""

from __future__ import annotations

import functools

import pytest

from geventsio.core.signatures import MANY, accepts_arguments, positional_range


class Thing:
    def method(self, a, b=1):
        pass

    def bare(self):
        pass

    def __call__(self, x, *rest):
        pass


def decorated(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)
    return inner


@decorated
def wrapped(a, b):
    pass


def with_keyword_only(a, *, key=None):
    pass


@pytest.mark.parametrize("fn, expected", [
    (lambda: None, (0, 0)),
    (lambda a: None, (1, 1)),
    (lambda a, b=2, c=3: None, (1, 3)),
    (lambda *args: None, (0, MANY)),
    (lambda a, *args: None, (1, MANY)),
    (Thing().method, (1, 2)),
    (Thing().bare, (0, 0)),
    (Thing(), (1, MANY)),
    (functools.partial(lambda a, b: None, 1), (1, 1)),
    (wrapped, (2, 2)),
    (with_keyword_only, (1, 1)),
    (len, (1, 1)),
])
def test_ranges(fn, expected):
    assert positional_range(fn) == expected
    assert accepts_arguments(fn) is (expected[1] > 0)


def test_handler_arity_is_cached_per_class_and_forgotten_with_it() -> None:
    """The per-class cache answers for each class separately and lets a class built at
    run time go away (its entry goes with it)."""
    import gc
    import weakref

    from geventsio.core import signatures

    def build() -> type:
        class Built:
            def on_x(self, a, b=2):
                pass
        return Built

    first, second = build(), build()
    second.on_x = lambda self, *rest: None  # type: ignore[attr-defined]
    assert signatures.handler_arity(first, "on_x", first().on_x) == (1, 2, False)
    assert signatures.handler_arity(second, "on_x", second().on_x) == (0, MANY, False)
    assert signatures.handler_arity(first, "on_x", lambda: None) == (1, 2, False)  # cached
    assert vars(first)[signatures.ARITY_CACHE] == {"on_x": (1, 2, False)}

    class Sub(first):  # type: ignore[valid-type,misc]
        def on_x(self):
            pass
    assert signatures.handler_arity(Sub, "on_x", Sub().on_x) == (0, 0, False)  # its own
    refs = [weakref.ref(first), weakref.ref(second)]
    del first, second, Sub
    gc.collect()
    assert all(ref() is None for ref in refs)  # the cache kept neither class alive
