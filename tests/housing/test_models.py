"""What must never be false is checked by PostgreSQL: direct bad writes fail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from housing.models import HousingUnit, ProspectStatus, ProspectTransition
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    MainLeaseFactory,
    ProspectFactory,
    RoomFactory,
)

D = datetime.date


def assert_violates(constraint: str, create) -> None:
    """``create()`` fails in the database on exactly that constraint."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    assert excinfo.value.__cause__.diag.constraint_name == constraint


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"places": 0}, "housingunit_places_positive"),
        ({"postcode": "7110"}, "housingunit_postcode_format"),
        ({"postcode": "7A100"}, "housingunit_postcode_format"),
        ({"reference": ""}, "housingunit_reference_not_empty"),
        ({"return_date": D(2024, 6, 1)}, "housingunit_return_date_and_reason_together"),
        ({"return_reason": "autre"}, "housingunit_return_date_and_reason_together"),
        (
            {"return_date": D(2023, 12, 31), "return_reason": "autre"},
            "housingunit_return_after_captation",
        ),
        ({"typology": "t7"}, "housing_housingunit_typology_valid"),
        ({"parc": "communal"}, "housing_housingunit_parc_valid"),
        ({"management_mode": "bail"}, "housing_housingunit_management_mode_valid"),
        ({"anah_convention": "oui"}, "housing_housingunit_anah_convention_valid"),
        ({"energy_class": "H"}, "housing_housingunit_energy_class_valid"),
        (
            {"return_date": D(2024, 6, 1), "return_reason": "vente"},
            "housing_housingunit_return_reason_valid",
        ),
        ({"rent": Decimal("-0.01")}, "housingunit_rent_positive"),
        ({"charges": Decimal("-1")}, "housingunit_charges_positive"),
    ],
)
def test_unit_constraints(org_a, overrides, constraint):
    assert_violates(constraint, lambda: HousingUnitFactory(organisation=org_a, **overrides))


@pytest.mark.django_db
def test_unit_return_on_captation_day_is_allowed_by_the_database(org_a):
    unit = HousingUnitFactory(organisation=org_a, return_date=D(2024, 1, 1), return_reason="autre")
    assert HousingUnit.all_organisations.filter(pk=unit.pk).exists()


@pytest.mark.django_db
def test_unit_reference_is_unique_per_organisation_only(org_a, org_b):
    HousingUnitFactory(organisation=org_a, reference="AM-01")
    HousingUnitFactory(organisation=org_b, reference="AM-01")
    assert_violates(
        "housingunit_reference_unique",
        lambda: HousingUnitFactory(organisation=org_a, reference="AM-01"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"places": 0}, "room_places_positive"),
        ({"label": ""}, "room_label_not_empty"),
        ({"reference": ""}, "room_reference_not_empty"),
    ],
)
def test_room_constraints(org_a, overrides, constraint):
    unit = HousingUnitFactory(organisation=org_a, shared=True)
    assert_violates(constraint, lambda: RoomFactory(unit=unit, **overrides))


@pytest.mark.django_db
def test_room_reference_and_label_are_unique(org_a):
    unit = HousingUnitFactory(organisation=org_a, shared=True)
    other = HousingUnitFactory(organisation=org_a, shared=True)
    RoomFactory(unit=unit, reference="R-1", label="Chambre 1")
    RoomFactory(unit=other, reference="R-2", label="Chambre 1")  # same label, other unit
    assert_violates(
        "room_reference_unique", lambda: RoomFactory(unit=other, reference="R-1", label="B")
    )
    assert_violates(
        "room_label_unique_in_unit",
        lambda: RoomFactory(unit=unit, reference="R-3", label="Chambre 1"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"end_date": D(2023, 12, 31)}, "mainlease_end_after_start"),
        ({"rent": Decimal("-1")}, "mainlease_rent_positive"),
        ({"charges": Decimal("-1")}, "mainlease_charges_positive"),
        ({"deposit": Decimal("-1")}, "mainlease_deposit_positive"),
        ({"guarantee": "garant"}, "housing_mainlease_guarantee_valid"),
        ({"management_mode": "location"}, "housing_mainlease_management_mode_valid"),
    ],
)
def test_main_lease_constraints(org_a, overrides, constraint):
    unit = HousingUnitFactory(organisation=org_a)
    assert_violates(constraint, lambda: MainLeaseFactory(unit=unit, **overrides))


@pytest.mark.django_db
def test_main_leases_of_one_unit_never_overlap(org_a):
    unit = HousingUnitFactory(organisation=org_a)
    MainLeaseFactory(unit=unit, start_date=D(2024, 1, 1), end_date=D(2024, 7, 1))
    # Ending on D and starting on D is fine: the end date is the first day out.
    MainLeaseFactory(unit=unit, start_date=D(2024, 7, 1))
    assert_violates(
        "mainlease_no_overlap",
        lambda: MainLeaseFactory(unit=unit, start_date=D(2025, 1, 1), end_date=D(2025, 2, 1)),
    )
    assert_violates(
        "mainlease_no_overlap",
        lambda: MainLeaseFactory(unit=unit, start_date=D(2023, 6, 1), end_date=D(2024, 1, 2)),
    )
    # Another unit's lease on the same dates is independent.
    MainLeaseFactory(unit=HousingUnitFactory(organisation=org_a), start_date=D(2024, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"kind": "public"}, "housing_landlord_kind_valid"),
        ({"name": ""}, "landlord_name_not_empty"),
    ],
)
def test_landlord_constraints(org_a, overrides, constraint):
    assert_violates(constraint, lambda: LandlordFactory(organisation=org_a, **overrides))


@pytest.mark.django_db
def test_landlord_name_is_unique_per_organisation(org_a, org_b):
    LandlordFactory(organisation=org_a, name="OPAC")
    LandlordFactory(organisation=org_b, name="OPAC")
    assert_violates(
        "landlord_name_unique", lambda: LandlordFactory(organisation=org_a, name="OPAC")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"landlord_name": ""}, "prospect_has_landlord"),
        ({"status": ProspectStatus.CAPTE}, "prospect_captured_has_unit"),
        ({"status": "signe"}, "housing_prospect_status_valid"),
        ({"typology": "t0"}, "housing_prospect_typology_valid"),
        ({"landlord_kind": "sci"}, "housing_prospect_landlord_kind_valid"),
        ({"rent_asked": Decimal("-5")}, "prospect_rent_asked_positive"),
        ({"postcode": "1234"}, "prospect_postcode_format"),
    ],
)
def test_prospect_constraints(org_a, overrides, constraint):
    assert_violates(constraint, lambda: ProspectFactory(organisation=org_a, **overrides))


@pytest.mark.django_db
def test_an_open_prospect_cannot_point_to_a_unit(org_a):
    unit = HousingUnitFactory(organisation=org_a)
    assert_violates(
        "prospect_captured_has_unit",
        lambda: ProspectFactory(organisation=org_a, status=ProspectStatus.VISITE, unit=unit),
    )
    ProspectFactory(organisation=org_a, status=ProspectStatus.CAPTE, unit=unit)
    assert_violates(
        "prospect_unit_unique",
        lambda: ProspectFactory(organisation=org_a, status=ProspectStatus.CAPTE, unit=unit),
    )


@pytest.mark.django_db
def test_prospect_transition_codes_are_checked(org_a):
    prospect = ProspectFactory(organisation=org_a)
    assert_violates(
        "housing_prospecttransition_to_status_valid",
        lambda: ProspectTransition.all_organisations.create(
            organisation=org_a, prospect=prospect, from_status="", to_status="signe"
        ),
    )


@pytest.mark.django_db
def test_in_stock_boundaries(org_a):
    captured = HousingUnitFactory(
        organisation=org_a,
        captation_date=D(2024, 1, 10),
        return_date=D(2024, 3, 1),
        return_reason="autre",
    )
    in_stock = HousingUnit.all_organisations.in_stock
    assert not in_stock(D(2024, 1, 9)).filter(pk=captured.pk).exists()
    assert in_stock(D(2024, 1, 10)).filter(pk=captured.pk).exists()  # captation day: in
    assert in_stock(D(2024, 2, 29)).filter(pk=captured.pk).exists()
    assert not in_stock(D(2024, 3, 1)).filter(pk=captured.pk).exists()  # return day: out
    assert captured.in_stock_at(D(2024, 1, 10)) and not captured.in_stock_at(D(2024, 3, 1))
