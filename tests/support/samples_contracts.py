"""Organisation A's support contract and objective for the isolation sweep
(tests/test_isolation_sweep.py): a contract signed by a household of its own, present, whose
reference carries the sweep's marker; an objective still open (closable, for the hostile-input
sweep)."""

from __future__ import annotations

import datetime
from typing import Any

from tests.households.factories import HouseholdFactory
from tests.support.factories import SupportContractFactory, SupportObjectiveFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    household = HouseholdFactory(
        organisation=organisation,
        dispositif=base["_dispositif"],
        reference="MENAGE-IML-ALPHA-SC",
        present=True,
    )
    contract = SupportContractFactory(
        organisation=organisation,
        household=household,
        signed_on=datetime.date(2025, 3, 15),
        initial_end_date=datetime.date(2025, 9, 15),
        notes="Observations IML-ALPHA",
    )
    objective = SupportObjectiveFactory(
        organisation=organisation, contract=contract, text="Ouvrir les droits CAF — IML-ALPHA"
    )
    return {"support_contract": contract.public_id, "objective": objective.public_id}
