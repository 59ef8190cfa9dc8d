from __future__ import annotations

import datetime

import pytest
from freezegun import freeze_time

from housing import selectors
from housing.models import HousingUnit, ProspectStatus
from iml.models import Role
from iml.selectors import Panel
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    ProspectFactory,
)

D = datetime.date

pytestmark = pytest.mark.django_db


def test_units_in_stock_at_boundary_dates(as_org_a, org_b):
    unit = HousingUnitFactory(
        organisation=as_org_a,
        captation_date=D(2023, 11, 1),
        return_date=D(2024, 10, 31),
        return_reason="glissement_bail",
    )
    never_returned = HousingUnitFactory(organisation=as_org_a, captation_date=D(2020, 1, 1))
    HousingUnitFactory(organisation=org_b, captation_date=D(2020, 1, 1))  # another organisation

    def at(day):
        return set(selectors.units_in_stock(at=day))

    assert at(D(2023, 10, 31)) == {never_returned}
    assert at(D(2023, 11, 1)) == {unit, never_returned}  # captation day: in
    assert at(D(2024, 10, 30)) == {unit, never_returned}
    assert at(D(2024, 10, 31)) == {never_returned}  # return day: out


def test_stock_totals_and_sectors(as_org_a):
    HousingUnitFactory(organisation=as_org_a, places=3, sector="Grand Amiénois")
    HousingUnitFactory(organisation=as_org_a, places=5, sector="Picardie Maritime")
    HousingUnitFactory(organisation=as_org_a, places=2, sector="Grand Amiénois")
    HousingUnitFactory(organisation=as_org_a, places=1, sector="")
    assert selectors.stock_totals(HousingUnit.objects.all()) == {"units": 4, "places": 11}
    assert selectors.stock_totals(HousingUnit.objects.none()) == {"units": 0, "places": 0}
    assert selectors.sectors() == ["Grand Amiénois", "Picardie Maritime"]


def test_landlords_count_their_units_in_stock(as_org_a):
    landlord = LandlordFactory(organisation=as_org_a)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord, returned=True)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord, captation_date=D(2030, 1, 1))
    idle = LandlordFactory(organisation=as_org_a)
    counts = {row: row.units_in_stock for row in selectors.landlords_for_list(at=D(2024, 7, 1))}
    assert counts == {landlord: 1, idle: 0}


# --- Pipeline board -------------------------------------------------------------------------


def test_prospect_board(as_org_a, django_assert_num_queries):
    later = ProspectFactory(organisation=as_org_a, next_step_date=D(2024, 12, 1))
    undated = ProspectFactory(organisation=as_org_a)
    sooner = ProspectFactory(organisation=as_org_a, next_step_date=D(2024, 11, 1))
    visit = ProspectFactory(organisation=as_org_a, status=ProspectStatus.VISITE)
    ProspectFactory.create_batch(12, organisation=as_org_a, status=ProspectStatus.ABANDONNE)
    with django_assert_num_queries(4):
        columns = selectors.prospect_board()
        by_status = {column.status: column for column in columns}
        assert [c.status for c in columns] == [
            "contact",
            "visite",
            "negociation",
            "capte",
            "abandonne",
        ]
        assert by_status["contact"].prospects == [sooner, later, undated]
        assert by_status["visite"].prospects == [visit]
        assert (by_status["negociation"].total, by_status["negociation"].prospects) == (0, [])
        abandoned = by_status["abandonne"]
        assert (abandoned.total, len(abandoned.prospects), abandoned.hidden) == (12, 10, 2)
        assert all(p.landlord_display for c in columns for p in c.prospects)


# --- Dashboard ------------------------------------------------------------------------------


@freeze_time("2024-03-01")
def test_dashboard_cards(as_org_a, members_a, django_assert_num_queries):
    HousingUnitFactory(organisation=as_org_a, shared=True, places=3)
    HousingUnitFactory(organisation=as_org_a, places=4)
    HousingUnitFactory(
        organisation=as_org_a,
        captation_date=D(2023, 1, 1),
        return_date=D(2024, 3, 1),
        return_reason="autre",
    )
    HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 3, 2))
    with django_assert_num_queries(1):
        cards = selectors.dashboard_cards(membership=members_a[Role.SOCIAL_WORKER])
    # The free places, which need the contracts, are tenancy's card (tests/tenancy).
    assert [(c.label, c.value, c.url_name) for c in cards] == [
        ("Logements en stock", 2, "housing:unit_list"),
    ]
    assert selectors.dashboard_cards(membership=members_a[Role.ADMIN]) == []


# --- Unit page ------------------------------------------------------------------------------


def nothing_to_show(*, unit):
    return None


def a_panel(*, unit):
    return Panel("some/panel.html", {"reference": unit.reference})


def test_unit_panels_come_from_the_registry(as_org_a, monkeypatch):
    """Apps above housing add blocks to a unit's page; a provider may have nothing to show."""
    unit = HousingUnitFactory(organisation=as_org_a, reference="LP-01")
    here = "tests.housing.test_selectors"
    monkeypatch.setattr(selectors, "UNIT_PANELS", [f"{here}.nothing_to_show", f"{here}.a_panel"])
    assert selectors.unit_panels(unit) == [Panel("some/panel.html", {"reference": "LP-01"})]
