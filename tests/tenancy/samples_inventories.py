"""Organisation A's inventory and incident for the isolation sweep (tests/test_isolation_sweep.py).

Their texts carry the sweep's marker "IML-ALPHA", so that a page leaking them to organisation B
fails the sweep. Also the factories of inventories, used by the tests of this area.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory

from tenancy.models import Inventory, InventoryItem, InventoryKind, ItemCondition
from tests.factories import OrganisationOwnedFactory
from tests.housing.factories import SAME_ORGANISATION
from tests.tenancy.factories import IncidentFactory, SubleaseContractFactory


class InventoryFactory(OrganisationOwnedFactory):
    """An inventory written directly (no ledger entry for damages: use the service)."""

    class Meta:
        model = Inventory

    contract = factory.SubFactory(SubleaseContractFactory, organisation=SAME_ORGANISATION)
    kind = InventoryKind.ENTREE
    date = factory.SelfAttribute("contract.start_date")


class InventoryItemFactory(OrganisationOwnedFactory):
    class Meta:
        model = InventoryItem

    organisation = factory.SelfAttribute("inventory.organisation")
    inventory = factory.SubFactory(InventoryFactory)
    room = "Cuisine"
    item = factory.Sequence(lambda n: f"Élément {n}")
    condition = ItemCondition.BON


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    """The inventory is the exit one of a contract of its own, ended (entry and exit recorded):
    A's sample contract (``base["_contract"]``, kwarg ``contract``) keeps no inventory, so that
    ``inventory_create`` with kind ``entree`` shows its form to the hostile-input sweep."""
    ended = SubleaseContractFactory(
        organisation=organisation,
        unit__dispositif=base["_dispositif"],
        start_date=datetime.date(2025, 1, 6),
        actual_end_date=datetime.date(2025, 5, 1),
    )
    entry = InventoryFactory(organisation=organisation, contract=ended, notes="IML-ALPHA entrée")
    InventoryItemFactory(inventory=entry, room="Cuisine IML-ALPHA", item="Évier")
    inventory = InventoryFactory(
        organisation=organisation,
        contract=ended,
        kind=InventoryKind.SORTIE,
        date=ended.actual_end_date,
        notes="Compteurs relevés — IML-ALPHA",
    )
    InventoryItemFactory(
        inventory=inventory, room="Cuisine IML-ALPHA", item="Évier", condition=ItemCondition.USAGE
    )
    incident = IncidentFactory(
        organisation=organisation,
        unit=ended.unit,
        description="Fuite sous l’évier — IML-ALPHA",
    )
    return {"inventory": inventory.public_id, "incident": incident.public_id, "kind": "entree"}
