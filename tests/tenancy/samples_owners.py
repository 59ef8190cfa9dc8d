"""Organisation A's objects for the isolation sweep (tests/test_isolation_sweep.py), for the
URLs of the CAF batch and owner screens (tenancy/views/owners.py).

Their only keyword argument is ``lease`` (a main lease's public identifier), whose sample
tests/housing/samples.py already makes: nothing to add here.
"""

from typing import Any


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    return {}
