"""The demo stock follows the seeds' reports and seeding twice creates nothing more."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db.models import Sum

from housing import demo as housing_demo
from housing.models import HousingUnit, Landlord, MainLease, Prospect, ProspectTransition, Room
from iml.demo import ORGANISATIONS
from iml.models import Dispositif
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, OrganisationFactory

D = datetime.date
MODELS = [Landlord, HousingUnit, Room, MainLease, Prospect, ProspectTransition]


def seed_all() -> dict[str, object]:
    """What ``seed_demo`` does for housing, for each demo organisation (made once)."""
    organisations = {}
    for demo in ORGANISATIONS:
        organisation = OrganisationFactory(slug=demo.slug, name=demo.name)
        with organisation_context(organisation):
            dispositif = Dispositif.objects.filter(
                code=demo.dispositif["code"]
            ).first() or DispositifFactory(organisation=organisation, **demo.dispositif)
            housing_demo.seed(organisation=organisation, demo=demo, dispositif=dispositif, users={})
        organisations[demo.slug] = organisation
    return organisations


def counts(organisations) -> dict[str, int]:
    """Rows of every housing model, organisation by organisation (row-level security)."""
    totals: Counter = Counter()
    for organisation in organisations.values():
        with organisation_context(organisation):
            totals.update({model.__name__: model.objects.count() for model in MODELS})
    return dict(totals)


@pytest.mark.django_db
def test_seeding_twice_creates_nothing_more():
    organisations = seed_all()
    first = counts(organisations)
    assert all(first.values()), first
    seed_all()
    assert counts(organisations) == first


@pytest.mark.django_db
def test_le_pont_has_six_shared_t3_in_chalon():
    organisation = seed_all()["le-pont"]
    with organisation_context(organisation):
        units = HousingUnit.all_organisations.filter(organisation=organisation)
        in_stock = units.in_stock(D(2024, 12, 31))
        assert in_stock.count() == 6 and in_stock.aggregate(p=Sum("places"))["p"] == 12
        assert set(units.values_list("typology", "colocation", "city")) == {
            ("t3", True, "Chalon-sur-Saône")
        }
        rooms = Room.all_organisations.filter(organisation=organisation)
        assert rooms.count() == 12 and set(rooms.values_list("places", flat=True)) == {1}
        # Five flats at the end of 2023's opening, the sixth captured between Oct 2023 and Jan 2024.
        assert units.in_stock(D(2023, 9, 30)).count() == 5
        assert units.filter(captation_date__range=(D(2023, 10, 1), D(2024, 1, 31))).count() == 1
        assert set(units.values_list("parc", flat=True)) == {"prive", "public"}
        assert Prospect.all_organisations.filter(organisation=organisation).count() >= 2


@pytest.mark.django_db
def test_apremis_stock_matches_the_parc_mobilise_table():
    organisation = seed_all()["apremis"]
    with organisation_context(organisation):
        units = HousingUnit.all_organisations.filter(organisation=organisation)
        at_end = units.in_stock(D(2024, 10, 31))
        assert at_end.count() == 17
        assert at_end.aggregate(p=Sum("places"))["p"] == 51
        assert Counter(at_end.values_list("city", "sector")) == {
            ("Amiens", "Grand Amiénois"): 16,
            ("Abbeville", "Picardie Maritime"): 1,
        }
        shared = at_end.filter(colocation=True)
        assert shared.count() == 3
        assert Room.all_organisations.filter(unit__in=shared).count() == 6
        assert set(at_end.values_list("typology", flat=True)) == {"t1", "t2", "t3", "t4", "t5"}

        period = (D(2023, 11, 1), D(2024, 10, 31))
        assert units.filter(captation_date__range=period).count() == 4
        returned = units.filter(return_date__range=period)
        assert returned.count() == 3
        assert returned.filter(return_reason="glissement_bail").count() == 2
        # A returned unit's lease ended with it.
        for unit in returned:
            lease = MainLease.all_organisations.get(unit=unit)
            assert lease.end_date == unit.return_date
        statuses = set(
            Prospect.all_organisations.filter(organisation=organisation).values_list(
                "status", flat=True
            )
        )
        assert statuses == {"negociation", "visite", "abandonne"}
