"""Demo stays: the entries (admission with a sublease contract on the first free space) and
exits that ``households.demo`` planned, recorded in the order of their dates (an exit first on
a shared day), so that each household gets a space that is really free on its entry date.
Recorded on the day, as a service using the software does: the month begun is called, the
next ones by the monthly job, and the calls stop with the stay."""

from __future__ import annotations

import datetime
from decimal import Decimal

from households import services
from households.demo import PLANNED_STAYS
from iml.codes import ExitSupport, PersonRole
from tenancy.services import ContractTerms, admit_with_contract, exit_with_contracts
from tenancy.spaces import free_spaces


def seed(*, organisation, demo, dispositif, users) -> None:
    referent = users["social_worker"]
    stays = PLANNED_STAYS.pop(organisation.pk, [])
    events = [(stay.entered, 1, stay) for stay in stays]
    events += [(stay.exited, 0, stay) for stay in stays if stay.exited]
    for day, is_entry, stay in sorted(events, key=lambda event: event[:2]):
        household = stay.household
        if is_entry:
            _enter(household, day, dispositif, referent)
            services.resources_record(
                household=household, day=day, resources=stay.resources, by=referent
            )
            adult = household.persons.get(role=PersonRole.REFERENT)
            services.employment_record(
                person=adult, day=day, employment=stay.employment, by=referent
            )
        else:
            exit_with_contracts(
                household=household,
                exit_date=day,
                destination=stay.destination,
                exit_support=[ExitSupport.AGIR] if stay.followed_by_agir else [],
                by=referent,
                today=day,
            )


def _enter(household, day: datetime.date, dispositif, referent) -> None:
    """Admission with a sublease contract on the first free space of the dispositif."""
    spaces = free_spaces(at=day, dispositif=dispositif)
    if not spaces:
        services.household_admit(household=household, entry_date=day, by=referent)
        return
    space = spaces[0]
    unit_rent = space.unit.rent or Decimal("450.00")
    rent = (unit_rent / max(space.unit.rooms.count(), 1) if space.room else unit_rent).quantize(
        Decimal("0.01")
    )
    terms = ContractTerms(
        rent=rent,
        charges=Decimal("35.00"),
        deposit=rent,
        expected_housing_benefit=(rent * Decimal("0.55")).quantize(Decimal("0.01")),
    )
    # Recorded on the day: the month begun is called, the next ones by the monthly job.
    admit_with_contract(household=household, unit=space.unit, room=space.room, entry_date=day,
                        terms=terms, by=referent, today=day)  # fmt: skip
