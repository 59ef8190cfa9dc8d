"""Stock list, unit page and the forms of units, rooms, main leases and returns."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from housing.models import HousingUnit, MainLease, Room
from tests.factories import DispositifFactory
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    MainLeaseFactory,
    RoomFactory,
)

D = datetime.date

pytestmark = pytest.mark.django_db

UNIT_FORM = {
    "reference": "AM-20",
    "address": "5 rue Jules Barni",
    "postcode": "80000",
    "city": "Amiens",
    "sector": "Grand Amiénois",
    "typology": "t4",
    "places": "5",
    "parc": "public",
    "management_mode": "bail_glissant",
    "anah_convention": "sans_travaux",
    "energy_class": "C",
    "rent": "612.50",
    "charges": "120",
    "captation_date": "2024-02-01",
}


def body(response) -> str:
    return response.content.decode()


# --- Stock list -----------------------------------------------------------------------------


@freeze_time("2024-07-01")
def test_the_list_shows_the_stock_of_today_by_default(social_worker_client, org_a, dispositif_a):
    HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="IN-1", places=3)
    HousingUnitFactory(organisation=org_a, reference="LATER", captation_date=D(2024, 7, 2))
    HousingUnitFactory(organisation=org_a, reference="GONE", returned=True)
    response = social_worker_client.get(reverse("housing:unit_list"))
    html = body(response)
    assert "IN-1" in html and "LATER" not in html and "GONE" not in html
    assert "1 logement</strong> · 3 places" in html and "en stock au 01/07/2024" in html
    assert 'type="date"' in html and 'value="2024-07-01"' in html
    assert "Nouveau logement" not in html  # social workers only read


def test_the_list_filters(regisseur_client, org_a, dispositif_a):
    other = DispositifFactory(organisation=org_a, code="IML-2")
    HousingUnitFactory(
        organisation=org_a, dispositif=dispositif_a, reference="U-T2-AMIENS", sector="Amiénois"
    )
    HousingUnitFactory(
        organisation=org_a,
        dispositif=other,
        reference="U-T4-ABBEVILLE",
        typology="t4",
        sector="Picardie Maritime",
    )
    HousingUnitFactory(organisation=org_a, reference="U-RETURNED", returned=True)
    url = reverse("housing:unit_list")

    def shown(**params):
        html = body(regisseur_client.get(url, {"at": "2024-03-01", **params}))
        return {ref for ref in ("U-T2-AMIENS", "U-T4-ABBEVILLE", "U-RETURNED") if ref in html}

    assert shown() == {"U-T2-AMIENS", "U-T4-ABBEVILLE", "U-RETURNED"}  # all in stock then
    assert shown(at="2024-06-01") == {"U-T2-AMIENS", "U-T4-ABBEVILLE"}  # return day: out
    assert shown(at="2024-06-01", state="rendus") == {"U-RETURNED"}
    assert shown(at="2023-12-31", state="tous") == {"U-T2-AMIENS", "U-T4-ABBEVILLE", "U-RETURNED"}
    assert shown(at="2023-12-31") == set()
    assert shown(typology="t4") == {"U-T4-ABBEVILLE"}
    assert shown(sector="Amiénois") == {"U-T2-AMIENS"}
    assert shown(dispositif=str(other.public_id)) == {"U-T4-ABBEVILLE"}
    # Sequential ids are not accepted in the URL: only public identifiers.
    assert "n’est pas un UUID valide" in body(regisseur_client.get(url, {"dispositif": other.pk}))


def test_the_list_is_paginated_and_pages_keep_the_filters(regisseur_client, org_a):
    HousingUnitFactory.create_batch(30, organisation=org_a, typology="t3")
    response = regisseur_client.get(reverse("housing:unit_list"), {"typology": "t3"})
    assert len(response.context["page"].object_list) == 25
    assert "?typology=t3&amp;page=2" in body(response)


def test_an_empty_list_says_what_to_do(regisseur_client, social_worker_a, client):
    html = body(regisseur_client.get(reverse("housing:unit_list")))
    assert "Aucun logement ne correspond à ces critères." in html
    assert "ajoutez un logement" in html and "captation" in html


def test_list_query_count_does_not_grow(
    regisseur_client, org_a, dispositif_a, django_assert_max_num_queries
):
    def grow(count):
        for unit in HousingUnitFactory.create_batch(
            count, organisation=org_a, dispositif=dispositif_a, shared=True
        ):
            RoomFactory(unit=unit)
            unit.landlord = LandlordFactory(organisation=org_a)
            unit.save()

    url = reverse("housing:unit_list")
    grow(3)
    with django_assert_max_num_queries(15) as small:
        regisseur_client.get(url, {"at": "2024-03-01"})
    grow(37)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = regisseur_client.get(url, {"at": "2024-03-01"})
    assert len(response.context["page"].object_list) == 25


# --- Unit page ------------------------------------------------------------------------------


def test_the_unit_page(social_worker_client, org_a, dispositif_a):
    landlord = LandlordFactory(organisation=org_a, name="OPAC Saône-et-Loire")
    unit = HousingUnitFactory(
        organisation=org_a,
        dispositif=dispositif_a,
        reference="LP-01",
        shared=True,
        landlord=landlord,
        rent=Decimal("1234.56"),
    )
    RoomFactory(unit=unit, label="Chambre du fond")
    MainLeaseFactory(unit=unit, landlord=landlord, rent=Decimal("1234.56"), guarantee="visale")
    html = body(social_worker_client.get(reverse("housing:unit_detail", args=[unit.public_id])))
    assert "Logement LP-01" in html and "Dispositif Alpha" in html
    assert "Chambre du fond" in html and "OPAC Saône-et-Loire" in html
    assert "1\xa0234,56&nbsp;€" in html and "Visale" in html
    assert "Dans le parc depuis le 01/01/2024" in html
    assert "Pas encore d’historique : il sera tiré des contrats de sous-location" in html
    assert reverse("housing:unit_edit", args=[unit.public_id]) not in html


def test_the_unit_page_of_a_returned_unit_for_a_manager(regisseur_client, org_a):
    unit = HousingUnitFactory(organisation=org_a, returned=True)
    html = body(regisseur_client.get(reverse("housing:unit_detail", args=[unit.public_id])))
    assert "Rendu au bailleur le 01/06/2024" in html and "reprise par le propriétaire" in html
    assert reverse("housing:unit_edit", args=[unit.public_id]) in html
    assert reverse("housing:unit_return", args=[unit.public_id]) not in html
    assert "Aucun bail principal enregistré." in html


# --- Unit forms -----------------------------------------------------------------------------


def test_create_a_unit(regisseur_client, org_a, dispositif_a):
    url = reverse("housing:unit_create")
    form_html = body(regisseur_client.get(url))
    assert 'type="date"' in form_html and "Dispositif Alpha" in form_html
    response = regisseur_client.post(url, {**UNIT_FORM, "dispositif": dispositif_a.pk}, follow=True)
    assert "Logement AM-20 ajouté au parc." in body(response)
    unit = HousingUnit.all_organisations.get(reference="AM-20")
    assert (unit.organisation, unit.places, unit.rent, unit.captation_date) == (
        org_a,
        5,
        Decimal("612.50"),
        D(2024, 2, 1),
    )
    assert response.redirect_chain[-1][0] == reverse("housing:unit_detail", args=[unit.public_id])


def test_unit_form_errors_keep_what_was_typed(regisseur_client, org_a, dispositif_a):
    HousingUnitFactory(organisation=org_a, reference="AM-20")
    data = {**UNIT_FORM, "dispositif": dispositif_a.pk, "postcode": "8000", "places": "0"}
    html = body(regisseur_client.post(reverse("housing:unit_create"), data))
    assert "Le code postal compte 5 chiffres." in html
    assert 'value="5 rue Jules Barni"' in html and 'value="2024-02-01"' in html
    html = body(
        regisseur_client.post(
            reverse("housing:unit_create"), {**data, "postcode": "80000", "places": "5"}
        )
    )
    assert "Un logement de l’organisation porte déjà cette référence." in html
    assert HousingUnit.all_organisations.filter(reference="AM-20").count() == 1


def test_edit_a_unit_and_see_the_service_refusal(regisseur_client, org_a, dispositif_a):
    unit = HousingUnitFactory(
        organisation=org_a, dispositif=dispositif_a, reference="LP-01", shared=True, places=2
    )
    RoomFactory(unit=unit)
    RoomFactory(unit=unit)
    url = reverse("housing:unit_edit", args=[unit.public_id])
    assert 'value="LP-01"' in body(regisseur_client.get(url))
    data = {
        **UNIT_FORM,
        "reference": "LP-01",
        "dispositif": dispositif_a.pk,
        "places": "1",
        "colocation": "on",
    }
    html = body(regisseur_client.post(url, data))
    assert "Ses chambres comptent 2 places" in html and 'value="1"' in html
    unit.refresh_from_db()
    assert unit.places == 2
    response = regisseur_client.post(url, {**data, "places": "4"}, follow=True)
    assert "Logement LP-01 mis à jour." in body(response)
    unit.refresh_from_db()
    assert (unit.places, unit.city) == (4, "Amiens")


def test_a_dispositif_of_another_organisation_cannot_be_chosen(
    regisseur_client, org_b, dispositif_a
):
    foreign = DispositifFactory(organisation=org_b)
    html = body(
        regisseur_client.post(
            reverse("housing:unit_create"), {**UNIT_FORM, "dispositif": foreign.pk}
        )
    )
    assert "Sélectionnez un choix valide" in html
    assert not HousingUnit.all_organisations.exists()


# --- Return ---------------------------------------------------------------------------------


def test_return_a_unit(regisseur_client, org_a):
    unit = HousingUnitFactory(organisation=org_a, reference="AM-R2")
    url = reverse("housing:unit_return", args=[unit.public_id])
    assert 'type="date"' in body(regisseur_client.get(url))
    html = body(regisseur_client.post(url, {"return_date": "2023-12-31", "return_reason": "autre"}))
    assert "La restitution ne peut pas précéder la captation du 01/01/2024." in html
    assert 'value="2023-12-31"' in html
    response = regisseur_client.post(
        url, {"return_date": "2024-06-01", "return_reason": "glissement_bail"}, follow=True
    )
    assert "Logement AM-R2 rendu au bailleur le 01/06/2024." in body(response)
    unit.refresh_from_db()
    assert (unit.return_date, unit.return_reason) == (D(2024, 6, 1), "glissement_bail")
    # Twice: refused, nothing changes.
    response = regisseur_client.post(
        url, {"return_date": "2024-07-01", "return_reason": "autre"}, follow=True
    )
    assert "Ce logement a déjà été rendu au bailleur le 01/06/2024." in body(response)
    unit.refresh_from_db()
    assert unit.return_date == D(2024, 6, 1)


# --- Rooms ----------------------------------------------------------------------------------


def test_add_and_edit_rooms(regisseur_client, org_a):
    unit = HousingUnitFactory(organisation=org_a, reference="LP-01", shared=True, places=2)
    url = reverse("housing:room_create", args=[unit.public_id])
    assert "Le logement compte 2 place(s)" in body(regisseur_client.get(url))
    response = regisseur_client.post(url, {"label": "Chambre 1", "places": "1"}, follow=True)
    assert "Chambre 1 ajoutée au logement LP-01." in body(response)
    room = Room.all_organisations.get(unit=unit)
    assert (room.reference, room.organisation) == ("LP-01-C1", org_a)

    html = body(regisseur_client.post(url, {"label": "Chambre 2", "places": "2"}))
    assert "il en reste 1 pour cette chambre" in html and 'value="Chambre 2"' in html

    edit = reverse("housing:room_edit", args=[room.public_id])
    assert 'value="LP-01-C1"' in body(regisseur_client.get(edit))
    regisseur_client.post(edit, {"label": "Chambre bleue", "places": "2", "reference": "LP-01-C1"})
    room.refresh_from_db()
    assert (room.label, room.places) == ("Chambre bleue", 2)


def test_no_room_on_a_whole_unit(regisseur_client, org_a):
    unit = HousingUnitFactory(organisation=org_a, colocation=False, places=3)
    html = body(
        regisseur_client.post(
            reverse("housing:room_create", args=[unit.public_id]),
            {"label": "Chambre 1", "places": "1"},
        )
    )
    assert "Seul un logement en colocation se partage en chambres" in html
    assert not Room.all_organisations.exists()


# --- Main leases ----------------------------------------------------------------------------


def test_record_and_edit_a_main_lease(regisseur_client, org_a):
    landlord = LandlordFactory(organisation=org_a, name="M. Lefèvre")
    unit = HousingUnitFactory(
        organisation=org_a, reference="AM-04", landlord=landlord, rent=Decimal("390")
    )
    url = reverse("housing:lease_create", args=[unit.public_id])
    form_html = body(regisseur_client.get(url))
    assert 'value="2024-01-01"' in form_html and 'value="390.00"' in form_html  # from the unit
    data = {
        "landlord": landlord.pk,
        "management_mode": "sous_location",
        "start_date": "2024-01-01",
        "rent": "395.00",
        "charges": "40",
        "deposit": "395",
        "guarantee": "visale",
        "guarantee_reference": "V-2024-17",
    }
    response = regisseur_client.post(url, data, follow=True)
    assert "Bail principal enregistré pour AM-04." in body(response)
    lease = MainLease.all_organisations.get(unit=unit)
    assert (lease.rent, lease.guarantee_reference) == (Decimal("395.00"), "V-2024-17")
    unit.refresh_from_db()
    assert unit.rent == Decimal("395.00")

    html = body(regisseur_client.post(url, {**data, "start_date": "2024-03-01"}))
    assert "Un autre bail principal de ce logement couvre déjà une partie de ces dates." in html
    assert 'value="V-2024-17"' in html
    assert MainLease.all_organisations.count() == 1

    edit = reverse("housing:lease_edit", args=[lease.public_id])
    html = body(regisseur_client.post(edit, {**data, "end_date": "2023-12-01"}))
    assert "La fin du bail ne peut pas précéder son début." in html
    regisseur_client.post(edit, {**data, "rent": "401.10"})
    lease.refresh_from_db()
    assert lease.rent == Decimal("401.10")
