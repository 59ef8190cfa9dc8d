"""Organisation A's household objects for the isolation sweep (tests/test_isolation_sweep.py)."""

from typing import Any


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    return {}
