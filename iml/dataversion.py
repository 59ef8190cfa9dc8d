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

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")

# Aggregates are cached for a day at most, tokens for ever (they are a few bytes).
TIMEOUT = 24 * 3600
GLOBAL = "dataversion:all"


def _token(key: str) -> str:
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, None)  # the first of two racing processes wins
        value = cache.get(key)
    return value


def token(organisation_id: int) -> str:
    return f"{_token(GLOBAL)}.{_token(f'dataversion:{organisation_id}')}"


def identity_token(user_id: int) -> str:
    """The token of what a request knows of its user before any view: their memberships and
    organisations (``iml.middleware.active_memberships``)."""
    values = cache.get_many([GLOBAL, f"identity:{user_id}"])
    if len(values) == 2:
        return f"{values[GLOBAL]}.{values[f'identity:{user_id}']}"
    return f"{_token(GLOBAL)}.{_token(f'identity:{user_id}')}"


def forget_identity(user_id: int) -> None:
    cache.set(f"identity:{user_id}", uuid.uuid4().hex, None)


def touch(organisation_id: int) -> None:
    cache.set(f"dataversion:{organisation_id}", uuid.uuid4().hex, None)


def forget_all() -> None:
    cache.set(GLOBAL, uuid.uuid4().hex, None)


def cached(organisation_id: int, name: str, compute: Callable[[], T], *parts: object) -> T:
    """``compute()``, or its value cached under the organisation's current token.

    Read the token before computing: under READ COMMITTED, a write whose new token is seen
    was committed before the computation's queries start, so they see it."""
    if not settings.IML_AGGREGATE_CACHE:
        return compute()
    key = ":".join(["aggregate", str(organisation_id), token(organisation_id), name,
                    *map(str, parts)])  # fmt: skip
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
