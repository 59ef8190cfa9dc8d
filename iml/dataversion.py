"""Generational cache keys for costly aggregates: a token per organisation that changes
whenever the organisation's data may have changed.

The report's figures and the dashboard's debts are sums over years of rows, read far more
often than the rows change. They are cached under the organisation's current token; every
committed write of the organisation — a request with an unsafe method (the middleware), a task
or command transaction (``organisation_transaction``) — gives it a new token, so the next read
computes afresh and old entries simply expire. Tokens are random, not counters: should Redis
lose one, its successor cannot meet an entry of the past. ``forget_all`` retires every token
at once, after data were replaced wholesale (demo seeding, a restored backup, a flush).

Writes outside those paths (a Django shell, raw SQL) must call ``touch`` themselves.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")

# Aggregates are cached for a day at most, tokens for ever (they are a few bytes).
TIMEOUT = 24 * 3600
GLOBAL = "dataversion:all"


# Within a read request (``reading``), each token is read from Redis once: the user's cache,
# memberships, device, badge and page fragments all key on the same two or three tokens. A
# read request writes nothing that retires them; the retiring functions below drop their
# key from it all the same.
_request_tokens: ContextVar[dict[str, str] | None] = ContextVar("iml_tokens", default=None)


@contextmanager
def reading() -> Iterator[None]:
    reset = _request_tokens.set({})
    try:
        yield
    finally:
        _request_tokens.reset(reset)


def _tokens(*keys: str) -> str:
    """The tokens of ``keys``, joined: one round trip to Redis (none when the request already
    read them)."""
    memo = _request_tokens.get()
    values = {key: memo[key] for key in keys if key in memo} if memo is not None else {}
    if missing := [key for key in keys if key not in values]:
        values.update(cache.get_many(missing))
        for key in missing:
            if key not in values:
                cache.add(key, uuid.uuid4().hex, None)  # the first of two racing processes wins
                values[key] = cache.get(key)
        if memo is not None:
            memo.update({key: values[key] for key in missing})
    return ".".join(values[key] for key in keys)


def token(organisation_id: int) -> str:
    return _tokens(GLOBAL, f"dataversion:{organisation_id}")


def identity_token(user_id: int) -> str:
    """The token of what a request knows of its user before any view: their memberships and
    organisations (``iml.middleware.active_memberships``), their second-factor device."""
    return _tokens(GLOBAL, f"identity:{user_id}")


def _retire(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)
    if (memo := _request_tokens.get()) is not None:
        memo.pop(key, None)


def forget_identity(user_id: int) -> None:
    _retire(f"identity:{user_id}")


def touch(organisation_id: int) -> None:
    _retire(f"dataversion:{organisation_id}")


def forget_all() -> None:
    _retire(GLOBAL)


def cached(organisation_id: int, name: str, compute: Callable[[], T], *parts: object) -> T:
    """``compute()``, or its value cached under the organisation's current token.

    Read the token before computing: under READ COMMITTED, a write whose new token is seen
    was committed before the computation's queries start, so they see it."""
    if not settings.IML_AGGREGATE_CACHE:
        return compute()
    # The parts may be anything typed in a query string: hashed, the key stays a valid one.
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    key = ":".join(["aggregate", str(organisation_id), token(organisation_id), name, digest])
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
