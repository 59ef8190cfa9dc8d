"""factory-boy factories of the housing stock (rows of one organisation, outside requests)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from housing.models import (
    HousingUnit,
    Landlord,
    LandlordKind,
    MainLease,
    Prospect,
    ProspectStatus,
    Room,
)
from iml.codes import ManagementMode, Parc, Typology
from tests.factories import DispositifFactory, OrganisationOwnedFactory

SAME_ORGANISATION = factory.SelfAttribute("..organisation")


class LandlordFactory(OrganisationOwnedFactory):
    class Meta:
        model = Landlord

    kind = LandlordKind.PRIVE
    name = factory.Sequence(lambda n: f"Propriétaire {n}")
    contact_name = factory.Faker("name", locale="fr_FR")

    class Params:
        social = factory.Trait(kind=LandlordKind.SOCIAL)


class HousingUnitFactory(OrganisationOwnedFactory):
    class Meta:
        model = HousingUnit

    dispositif = factory.SubFactory(DispositifFactory, organisation=SAME_ORGANISATION)
    reference = factory.Sequence(lambda n: f"LOG-{n:03d}")
    address = factory.Sequence(lambda n: f"{n + 1} rue de la République")
    postcode = "71100"
    city = "Chalon-sur-Saône"
    sector = "Grand Chalon"
    typology = Typology.T2
    places = 2
    parc = Parc.PRIVE
    management_mode = ManagementMode.SOUS_LOCATION
    captation_date = datetime.date(2024, 1, 1)

    class Params:
        shared = factory.Trait(colocation=True, typology=Typology.T3, places=2)
        returned = factory.Trait(
            return_date=datetime.date(2024, 6, 1), return_reason="reprise_proprietaire"
        )


class RoomFactory(OrganisationOwnedFactory):
    class Meta:
        model = Room

    organisation = factory.SelfAttribute("unit.organisation")
    unit = factory.SubFactory(HousingUnitFactory, shared=True)
    reference = factory.Sequence(lambda n: f"CH-{n:03d}")
    label = factory.Sequence(lambda n: f"Chambre {n}")
    places = 1


class MainLeaseFactory(OrganisationOwnedFactory):
    class Meta:
        model = MainLease

    organisation = factory.SelfAttribute("unit.organisation")
    unit = factory.SubFactory(HousingUnitFactory)
    landlord = factory.SubFactory(LandlordFactory, organisation=SAME_ORGANISATION)
    management_mode = ManagementMode.SOUS_LOCATION
    start_date = factory.SelfAttribute("unit.captation_date")
    rent = Decimal("500.00")
    charges = Decimal("50.00")


class ProspectFactory(OrganisationOwnedFactory):
    class Meta:
        model = Prospect

    landlord_name = factory.Sequence(lambda n: f"Mme Prospect {n}")
    landlord_kind = LandlordKind.PRIVE
    address = factory.Sequence(lambda n: f"{n + 1} avenue de Paris")
    postcode = "71100"
    city = "Chalon-sur-Saône"
    typology = Typology.T3
    rent_asked = Decimal("600.00")
    status = ProspectStatus.CONTACT
