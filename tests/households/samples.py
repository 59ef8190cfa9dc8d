"""Organisation A's household objects for the isolation sweep (tests/test_isolation_sweep.py)."""

from typing import Any

from tests.households.factories import HouseholdFactory, PersonFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    household = HouseholdFactory(
        organisation=organisation,
        dispositif=base["_dispositif"],
        reference="MENAGE-ALPHA",
        present=True,
    )
    person = PersonFactory(
        organisation=organisation, household=household, last_name="Alpha", first_name="Zoé"
    )
    return {"household": household.public_id, "person": person.public_id}
