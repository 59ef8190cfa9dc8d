"""Landlords and the captation pipeline (the free spaces screen is tenancy's)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from housing.models import (
    HousingUnit,
    Landlord,
    MainLease,
    Prospect,
    ProspectStatus,
    ProspectTransition,
)
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    ProspectFactory,
)

D = datetime.date

pytestmark = pytest.mark.django_db

LANDLORD_FORM = {
    "kind": "social",
    "name": "OPAC Saône-et-Loire",
    "contact_name": "Agence de Chalon",
    "phone": "03 85 00 00 00",
    "email": "agence@opac.example",
    "address": "",
    "notes": "",
}
PROSPECT_FORM = {
    "landlord_name": "M. Girard",
    "landlord_kind": "prive",
    "contact": "06 00 00 00 00",
    "address": "6 rue du Pont",
    "postcode": "71100",
    "city": "Chalon-sur-Saône",
    "typology": "t3",
    "rent_asked": "620.00",
    "next_step": "Visite avec l’agence",
    "next_step_date": "2025-01-14",
    "notes": "",
}


def body(response) -> str:
    return response.content.decode()


# --- Landlords ------------------------------------------------------------------------------


def test_create_list_and_edit_landlords(regisseur_client, org_a):
    url = reverse("housing:landlord_create")
    response = regisseur_client.post(url, LANDLORD_FORM, follow=True)
    assert "Bailleur ajouté : OPAC Saône-et-Loire." in body(response)
    landlord = Landlord.all_organisations.get(name="OPAC Saône-et-Loire")
    assert landlord.organisation == org_a and landlord.kind == "social"
    assert "bailleur social" in body(response)  # back on the list

    html = body(regisseur_client.post(url, {**LANDLORD_FORM, "contact_name": "Autre"}))
    assert "Un bailleur de l’organisation porte déjà ce nom." in html
    assert 'value="Autre"' in html

    edit = reverse("housing:landlord_edit", args=[landlord.public_id])
    regisseur_client.post(edit, {**LANDLORD_FORM, "phone": "03 85 11 11 11"})
    landlord.refresh_from_db()
    assert landlord.phone == "03 85 11 11 11"


def test_landlord_form_errors(regisseur_client):
    html = body(
        regisseur_client.post(
            reverse("housing:landlord_create"), {**LANDLORD_FORM, "kind": "sci", "email": "x"}
        )
    )
    assert (
        "Sélectionnez un choix valide" in html
        and "Saisissez une adresse de courriel valide." in html
    )
    assert not Landlord.all_organisations.exists()


def test_empty_landlord_list_says_what_to_do(regisseur_client):
    html = body(regisseur_client.get(reverse("housing:landlord_list")))
    assert "Aucun bailleur enregistré." in html and "Ajoutez le premier" in html


def test_landlord_list_query_count_does_not_grow(
    regisseur_client, org_a, django_assert_max_num_queries
):
    def grow(count):
        for landlord in LandlordFactory.create_batch(count, organisation=org_a):
            HousingUnitFactory(organisation=org_a, landlord=landlord)

    grow(3)
    with django_assert_max_num_queries(13) as small:
        regisseur_client.get(reverse("housing:landlord_list"))
    grow(37)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = regisseur_client.get(reverse("housing:landlord_list"))
    assert len(response.context["page"].object_list) == 25


# --- Pipeline -------------------------------------------------------------------------------


def test_the_board_groups_prospects_by_step(regisseur_client, org_a):
    ProspectFactory(organisation=org_a, address="1 rue Contact")
    ProspectFactory(organisation=org_a, address="2 rue Visite", status=ProspectStatus.VISITE)
    unit = HousingUnitFactory(organisation=org_a, reference="LP-09")
    ProspectFactory(organisation=org_a, address="3 rue Captée", status="capte", unit=unit)
    response = regisseur_client.get(reverse("housing:prospect_board"))
    columns = {c.status: [p.address for p in c.prospects] for c in response.context["columns"]}
    assert columns == {
        "contact": ["1 rue Contact"],
        "visite": ["2 rue Visite"],
        "negociation": [],
        "capte": ["3 rue Captée"],
        "abandonne": [],
    }
    html = body(response)
    assert "Passer à « visite »" in html and "Passer à « négociation »" in html
    assert "Abandonner" in html and "Logement LP-09" in html
    assert 'class="grid"' in html  # columns stack on a phone


def test_an_empty_board_says_what_to_do(regisseur_client):
    html = body(regisseur_client.get(reverse("housing:prospect_board")))
    assert "Aucune prospection en cours." in html and "Ajoutez un logement repéré" in html


def test_board_query_count_does_not_grow(regisseur_client, org_a, django_assert_max_num_queries):
    def grow(count):
        for status in ("contact", "visite", "negociation", "abandonne"):
            ProspectFactory.create_batch(
                count,
                organisation=org_a,
                status=status,
                landlord=LandlordFactory(organisation=org_a),
            )

    grow(1)
    with django_assert_max_num_queries(15) as small:
        regisseur_client.get(reverse("housing:prospect_board"))
    grow(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        regisseur_client.get(reverse("housing:prospect_board"))


def test_create_and_edit_a_prospect(regisseur_client, regisseur_a, org_a):
    response = regisseur_client.post(reverse("housing:prospect_create"), PROSPECT_FORM, follow=True)
    assert "Prospection ouverte : 6 rue du Pont, Chalon-sur-Saône." in body(response)
    prospect = Prospect.all_organisations.get()
    assert (prospect.organisation, prospect.status) == (org_a, "contact")
    assert ProspectTransition.all_organisations.get(prospect=prospect).by == regisseur_a.user

    edit = reverse("housing:prospect_edit", args=[prospect.public_id])
    html = body(regisseur_client.get(edit))
    assert 'value="2025-01-14"' in html and "premier contact" in html
    regisseur_client.post(edit, {**PROSPECT_FORM, "next_step": "Rappeler lundi"})
    prospect.refresh_from_db()
    assert prospect.next_step == "Rappeler lundi"


def test_prospect_errors_keep_what_was_typed(regisseur_client):
    data = {**PROSPECT_FORM, "landlord_name": "", "postcode": "7110"}
    html = body(regisseur_client.post(reverse("housing:prospect_create"), data))
    assert "Choisissez un bailleur enregistré ou indiquez son nom." in html
    assert "Le code postal compte 5 chiffres." in html
    assert 'value="6 rue du Pont"' in html
    assert not Prospect.all_organisations.exists()


def test_move_a_prospect_along(regisseur_client, org_a):
    prospect = ProspectFactory(organisation=org_a, address="6 rue du Pont")
    url = reverse("housing:prospect_move", args=[prospect.public_id])
    assert regisseur_client.get(url).status_code == 405
    response = regisseur_client.post(url, {"status": "visite"}, follow=True)
    assert "6 rue du Pont, Chalon-sur-Saône : étape « visite »." in body(response)
    response = regisseur_client.post(url, {"status": "visite"}, follow=True)
    assert "« visite » ne peut pas passer à « visite »" in body(response)
    response = regisseur_client.post(url, {"status": "n’importe"}, follow=True)
    assert "Étape inconnue." in body(response)
    prospect.refresh_from_db()
    assert prospect.status == "visite"


def capture_data(dispositif, **overrides):
    return {
        "dispositif": dispositif.pk,
        "reference": "LP-07",
        "captation_date": "2024-11-15",
        "places": "2",
        "colocation": "on",
        "sector": "Grand Chalon",
        "management_mode": "sous_location",
        "anah_convention": "",
        "energy_class": "D",
        "rent": "620.00",
        "charges": "60.00",
        "deposit": "",
        "guarantee": "",
        "guarantee_reference": "",
        **overrides,
    }


@freeze_time("2024-11-15")
def test_capture_a_prospect(regisseur_client, org_a, dispositif_a):
    prospect = ProspectFactory(
        organisation=org_a,
        status=ProspectStatus.NEGOCIATION,
        landlord_name="Habellis",
        landlord_kind="social",
        rent_asked=Decimal("615.00"),
    )
    url = reverse("housing:prospect_capture", args=[prospect.public_id])
    form_html = body(regisseur_client.get(url))
    assert 'value="615.00"' in form_html and 'value="2024-11-15"' in form_html
    assert "ainsi que le bailleur « Habellis »" in form_html
    response = regisseur_client.post(url, capture_data(dispositif_a), follow=True)
    unit = HousingUnit.all_organisations.get(reference="LP-07")
    assert response.redirect_chain[-1][0] == reverse("housing:unit_detail", args=[unit.public_id])
    assert "Logement LP-07 capté : il compte dans le parc dès le 15/11/2024." in body(response)
    assert (unit.organisation, unit.parc, unit.landlord.name) == (org_a, "public", "Habellis")
    assert MainLease.all_organisations.get(unit=unit).start_date == D(2024, 11, 15)
    prospect.refresh_from_db()
    assert (prospect.status, prospect.unit) == ("capte", unit)


def test_capture_errors_keep_what_was_typed(regisseur_client, org_a, dispositif_a):
    HousingUnitFactory(organisation=org_a, reference="LP-07")
    prospect = ProspectFactory(organisation=org_a, status=ProspectStatus.NEGOCIATION)
    url = reverse("housing:prospect_capture", args=[prospect.public_id])
    html = body(regisseur_client.post(url, capture_data(dispositif_a, sector="Sud")))
    assert "Un logement de l’organisation porte déjà cette référence." in html
    assert 'value="Sud"' in html
    html = body(regisseur_client.post(url, capture_data(dispositif_a, places="0", rent="-1")))
    assert "supérieure ou égale à 1" in html and "supérieure ou égale à 0" in html
    prospect.refresh_from_db()
    assert prospect.status == "negociation"
    assert not MainLease.all_organisations.exists()


def test_only_a_prospect_in_negotiation_opens_the_capture_form(regisseur_client, org_a):
    prospect = ProspectFactory(organisation=org_a, status=ProspectStatus.VISITE)
    url = reverse("housing:prospect_capture", args=[prospect.public_id])
    response = regisseur_client.get(url, follow=True)
    assert "Seule une prospection en négociation peut être captée" in body(response)
    assert response.redirect_chain[-1][0] == reverse("housing:prospect_board")
