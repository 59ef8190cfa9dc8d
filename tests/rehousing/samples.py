"""Organisation A's proposal for the isolation sweep (tests/test_isolation_sweep.py), with the
sweep's marker in its note."""

from __future__ import annotations

import datetime
from typing import Any


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    from households.models import Household
    from rehousing.models import HousingDemand, Measure, Proposal, SlidePlan

    household = Household.objects.get(public_id=base["household"])
    HousingDemand.objects.create(organisation=organisation, household=household,
                                 number="0802203000123", filed_on=datetime.date(2024, 1, 5),
                                 note="IML-ALPHA")  # fmt: skip
    proposal = Proposal.objects.create(
        organisation=organisation, household=household, landlord="OPAC IML-ALPHA",
        address="1 rue Alpha", city="Amiens", typology="t3",
        received_on=datetime.date(2024, 3, 1), note="IML-ALPHA",
    )  # fmt: skip
    measure = Measure.objects.create(
        organisation=organisation, household=household, kind="asll",
        start_on=datetime.date(2024, 2, 1), note="IML-ALPHA",
    )  # fmt: skip
    SlidePlan.objects.create(organisation=organisation, contract=base["_contract"],
                             considered_on=datetime.date(2025, 3, 1), note="IML-ALPHA")  # fmt: skip
    return {"proposal": proposal.public_id, "measure": measure.public_id, "months": 1}
