"""Organisation A's housing objects for the isolation sweep (tests/test_isolation_sweep.py).

Their shown names carry the sweep's markers ("IML-ALPHA", "Association Alpha") so that a page
leaking them to organisation B fails the sweep.
"""

from typing import Any

from housing.models import ProspectStatus
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    MainLeaseFactory,
    ProspectFactory,
    RoomFactory,
)


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    landlord = LandlordFactory(organisation=organisation, name="Association Alpha Habitat")
    unit = HousingUnitFactory(
        organisation=organisation,
        dispositif=base["_dispositif"],
        reference="IML-ALPHA-LOG-1",
        landlord=landlord,
        shared=True,
    )
    room = RoomFactory(
        organisation=organisation, unit=unit, reference="IML-ALPHA-LOG-1-C1", label="Chambre 1"
    )
    lease = MainLeaseFactory(organisation=organisation, unit=unit, landlord=landlord)
    # In negotiation: every prospect URL (edit, move, capture) reaches its object lookup.
    prospect = ProspectFactory(
        organisation=organisation,
        landlord=landlord,
        landlord_name="",
        address="1 rue IML-ALPHA",
        status=ProspectStatus.NEGOCIATION,
    )
    return {
        "unit": unit.public_id,
        "room": room.public_id,
        "lease": lease.public_id,
        "landlord": landlord.public_id,
        "prospect": prospect.public_id,
    }
