"""Organisation A's banking objects (reconcile) for the isolation sweep
(tests/test_isolation_sweep.py):
one per URL keyword argument this part introduces."""

from __future__ import annotations

from typing import Any


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    return {}
