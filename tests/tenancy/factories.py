"""factory-boy factories of the tenancy app. Contracts made here bypass the services (no rent
calls are issued): tests of the ledger build their entries explicitly."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from dateutil.relativedelta import relativedelta

from iml.codes import LedgerKind, PaymentMethod
from tenancy.models import (
    Incident,
    IncidentKind,
    LedgerEntry,
    SubleaseContract,
)
from tests.factories import OrganisationOwnedFactory
from tests.households.factories import HouseholdFactory
from tests.housing.factories import SAME_ORGANISATION, HousingUnitFactory


class SubleaseContractFactory(OrganisationOwnedFactory):
    class Meta:
        model = SubleaseContract

    unit = factory.SubFactory(HousingUnitFactory, organisation=SAME_ORGANISATION)
    household = factory.SubFactory(
        HouseholdFactory,
        organisation=SAME_ORGANISATION,
        dispositif=factory.SelfAttribute("..unit.dispositif"),
        entry_date=factory.SelfAttribute("..start_date"),
        orientation_date=factory.LazyAttribute(
            lambda o: o.factory_parent.start_date - datetime.timedelta(days=30)
        ),
    )
    reference = factory.Sequence(lambda n: f"C-{n:04d}")
    start_date = datetime.date(2025, 1, 1)
    initial_end_date = factory.LazyAttribute(lambda o: o.start_date + relativedelta(months=6))
    rent = Decimal("400.00")
    charges = Decimal("50.00")
    expected_housing_benefit = Decimal("250.00")


class LedgerEntryFactory(OrganisationOwnedFactory):
    class Meta:
        model = LedgerEntry

    contract = factory.SubFactory(SubleaseContractFactory, organisation=SAME_ORGANISATION)
    date = factory.SelfAttribute("contract.start_date")
    kind = LedgerKind.PAIEMENT
    credit = Decimal("100.00")
    method = PaymentMethod.ESPECES
    number = factory.Sequence(lambda n: f"T-{n:05d}")


class IncidentFactory(OrganisationOwnedFactory):
    class Meta:
        model = Incident

    unit = factory.SubFactory(HousingUnitFactory, organisation=SAME_ORGANISATION)
    kind = IncidentKind.FUITE
    description = "Fuite sous l’évier de la cuisine."
    reported_on = datetime.date(2025, 3, 3)
