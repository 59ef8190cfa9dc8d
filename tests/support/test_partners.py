"""The partners directory: services, list with filters, partner page, role matrix, isolation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from iml.models import Role
from iml.scoping import organisation_context
from support import network
from support.models import Partner, PartnerKind, ReferralOutcome
from tests.conftest import login
from tests.support.factories import PartnerFactory, ReferralFactory

D = datetime.date


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20"):
        yield


@pytest.fixture
def partner(org_a):
    return PartnerFactory(
        organisation=org_a,
        name="CAF de Saône-et-Loire",
        kind=PartnerKind.CAF,
        contact_name="Mme Durand",
        phone="03 85 00 00 00",
        email="accueil@caf71.example",
    )


def partner_fields(**overrides) -> dict:
    return {
        "name": "CCAS de Mâcon",
        "kind": PartnerKind.CCAS,
        "contact_name": "M. Petit",
        "phone": "03 85 11 11 11",
        "email": "ccas@macon.example",
        "address": "Hôtel de ville, Mâcon",
        "notes": "",
        **overrides,
    }


# --- Services -------------------------------------------------------------------------------


def test_partner_create_trims_and_saves(org_a):
    created = network.partner_create(**partner_fields(name="  CCAS   de Mâcon "))
    assert created.name == "CCAS de Mâcon" and created.organisation_id == org_a.pk
    assert created.is_active


def test_partner_name_is_unique_whatever_the_case(partner):
    with pytest.raises(ValidationError) as error:
        network.partner_create(**partner_fields(name="caf de saône-et-loire"))
    assert error.value.message_dict == {"name": ["Un partenaire porte déjà ce nom."]}
    assert Partner.objects.count() == 1


def test_partner_update_keeps_its_own_name_and_refuses_another(partner, org_a):
    other = PartnerFactory(organisation=org_a, name="CPAM", kind=PartnerKind.CPAM)
    updated = network.partner_update(
        partner=partner, **partner_fields(name=partner.name, kind=PartnerKind.CAF), is_active=False
    )
    assert updated.contact_name == "M. Petit" and not updated.is_active
    with pytest.raises(ValidationError) as error:
        network.partner_update(partner=other, **partner_fields(name="CAF de Saône-et-Loire"))
    assert "Un partenaire porte déjà ce nom." in error.value.message_dict["name"]
    other.refresh_from_db()
    assert other.name == "CPAM"


def test_partner_create_refuses_an_invalid_kind_and_writes_nothing(org_a):
    with pytest.raises(ValidationError) as error:
        network.partner_create(**partner_fields(kind="inconnu"))
    assert "kind" in error.value.message_dict
    assert not Partner.objects.exists()


def test_same_name_in_another_organisation_is_allowed(partner, org_b):
    with organisation_context(org_b):
        created = network.partner_create(**partner_fields(name=partner.name))
    assert created.organisation_id == org_b.pk


def test_partner_choices_offer_the_active_partners_of_the_organisation(partner, org_a, org_b):
    PartnerFactory(organisation=org_a, name="Ancien partenaire", is_active=False)
    PartnerFactory(organisation=org_b, name="Partenaire de B")
    assert list(network.partner_choices()) == [partner]


# --- List -----------------------------------------------------------------------------------


def test_partner_list_filters_by_kind_and_name_active_first(client, partner, members_a, org_a):
    PartnerFactory(organisation=org_a, name="Association Ancienne", is_active=False,
                   kind=PartnerKind.ASSOCIATION)  # fmt: skip
    PartnerFactory(organisation=org_a, name="Zèbre Asso", kind=PartnerKind.ASSOCIATION)
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:partner_list")
    body = client.get(url).content.decode()
    # Active partners first (by name), the inactive one last.
    assert body.index("CAF de Saône") < body.index("Zèbre Asso") < body.index("Association Anc")
    assert "inactif" in body
    body = client.get(url, {"kind": PartnerKind.ASSOCIATION}).content.decode()
    assert "Zèbre Asso" in body and "CAF de Saône" not in body
    body = client.get(url, {"q": "saône"}).content.decode()
    assert "CAF de Saône" in body and "Zèbre Asso" not in body
    body = client.get(url, {"q": "durand"}).content.decode()  # the contact's name too
    assert "CAF de Saône" in body
    body = client.get(url, {"q": "personne"}).content.decode()
    assert "Aucun partenaire ne correspond" in body


def test_partner_list_is_paginated(client, members_a, org_a):
    for number in range(27):
        PartnerFactory(organisation=org_a, name=f"Partenaire {number:02d}")
    login(client, members_a[Role.HEAD])
    url = reverse("support:partner_list")
    assert "Partenaire 26" not in client.get(url).content.decode()
    body = client.get(url, {"page": 2}).content.decode()
    assert "Partenaire 26" in body and "filtres actifs" not in body
    body = client.get(url, {"page": 2, "q": "partenaire"}).content.decode()
    assert "Partenaire 26" in body and "filtres actifs" in body


def test_empty_directory_says_what_to_do(client, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    body = client.get(reverse("support:partner_list")).content.decode()
    assert "Ajoutez un premier partenaire" in body
    login(client, members_a[Role.REGISSEUR])
    body = client.get(reverse("support:partner_list")).content.decode()
    assert "L’annuaire est vide" in body and reverse("support:partner_create") not in body


def test_partner_list_query_count_does_not_grow(
    client, members_a, org_a, django_assert_max_num_queries
):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:partner_list")
    for count in (2, 20):
        while Partner.objects.count() < count:
            created = PartnerFactory(organisation=org_a)
            ReferralFactory(organisation=org_a, partner=created)
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


# --- Partner page ---------------------------------------------------------------------------


@pytest.fixture
def referral(partner, org_a):
    return ReferralFactory(
        organisation=org_a,
        partner=partner,
        household__reference="MENAGE-ORIENTE",
        reason="Ouverture des droits APL",
        outcome=ReferralOutcome.ABOUTIE,
        outcome_date=D(2025, 5, 2),
    )


def test_partner_page_lists_referrals_for_social_workers_and_heads(client, referral, members_a):
    url = reverse("support:partner_detail", args=[referral.partner.public_id])
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_a[role])
        body = client.get(url).content.decode()
        assert "Mme Durand" in body and "tel:03 85 00 00 00" in body
        assert "MENAGE-ORIENTE" in body and "Ouverture des droits APL" in body
        assert "aboutie le 02/05/2025" in body and "10/04/2025" in body


def test_regisseur_sees_the_contact_card_only(client, referral, members_a):
    login(client, members_a[Role.REGISSEUR])
    response = client.get(reverse("support:partner_detail", args=[referral.partner.public_id]))
    body = response.content.decode()
    assert response.status_code == 200 and "Mme Durand" in body
    assert "MENAGE-ORIENTE" not in body and "Ouverture des droits APL" not in body
    assert "Ménages orientés" not in body and "Modifier" not in body


def test_partner_page_without_referral_says_where_to_refer(client, partner, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    body = client.get(reverse("support:partner_detail", args=[partner.public_id])).content
    assert "depuis la page du ménage" in body.decode()


def test_partner_page_query_count_does_not_grow(
    client, partner, members_a, org_a, django_assert_max_num_queries
):
    login(client, members_a[Role.HEAD])
    url = reverse("support:partner_detail", args=[partner.public_id])
    for count in (2, 12):
        while partner.referrals.count() < count:
            ReferralFactory(organisation=org_a, partner=partner)
        with django_assert_max_num_queries(11):
            assert client.get(url).status_code == 200


# --- Create and edit screens ----------------------------------------------------------------


def test_partner_create_screen(client, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:partner_create")
    page = client.get(url).content.decode()
    assert 'name="is_active"' not in page and "<label" in page
    response = client.post(url, partner_fields())
    created = Partner.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:partner_detail", args=[created.public_id])
    assert created.name == "CCAS de Mâcon" and created.kind == PartnerKind.CCAS


def test_partner_create_screen_refuses_a_duplicate_name_and_writes_nothing(
    client, partner, members_a
):
    login(client, members_a[Role.HEAD])
    response = client.post(reverse("support:partner_create"),
                           partner_fields(name="CAF DE SAÔNE-ET-LOIRE"))  # fmt: skip
    assert response.status_code == 200
    assert "Un partenaire porte déjà ce nom." in response.content.decode()
    assert Partner.objects.count() == 1


def test_partner_create_screen_refuses_a_bad_email(client, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.post(reverse("support:partner_create"), partner_fields(email="pas-un-mail"))
    assert response.status_code == 200 and not Partner.objects.exists()


def test_partner_edit_screen_deactivates(client, partner, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:partner_edit", args=[partner.public_id])
    assert 'name="is_active"' in client.get(url).content.decode()
    response = client.post(url, partner_fields(name=partner.name, kind=PartnerKind.CAF))
    assert response.status_code == 302
    partner.refresh_from_db()
    assert not partner.is_active and partner.contact_name == "M. Petit"


def test_partner_edit_screen_refuses_another_partners_name(client, partner, members_a, org_a):
    other = PartnerFactory(organisation=org_a, name="CPAM de Mâcon")
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.post(reverse("support:partner_edit", args=[partner.public_id]),
                           partner_fields(name="CPAM de Mâcon", is_active="on"))  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    assert "Un partenaire porte déjà ce nom." in body and "Modifier CAF de Saône-et-Loire" in body
    partner.refresh_from_db()
    assert partner.name == "CAF de Saône-et-Loire" and other.name == "CPAM de Mâcon"


# --- Roles and isolation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "list_status", "detail_status", "write_status"),
    [
        (Role.SOCIAL_WORKER, 200, 200, 200),
        (Role.HEAD, 200, 200, 200),
        (Role.REGISSEUR, 200, 200, 403),
        (Role.ADMIN, 403, 403, 403),
    ],
)
def test_role_matrix(client, partner, members_a, role, list_status, detail_status, write_status):
    login(client, members_a[role])
    assert client.get(reverse("support:partner_list")).status_code == list_status
    detail = reverse("support:partner_detail", args=[partner.public_id])
    assert client.get(detail).status_code == detail_status
    assert client.get(reverse("support:partner_create")).status_code == write_status
    edit = reverse("support:partner_edit", args=[partner.public_id])
    assert client.get(edit).status_code == write_status
    assert client.post(reverse("support:partner_create"), partner_fields()).status_code in (
        write_status,
        302,
    )
    if write_status == 403:
        assert Partner.objects.count() == 1


def test_another_organisation_gets_404(client, partner, members_b):
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_b[role])
        for name in ("support:partner_detail", "support:partner_edit"):
            url = reverse(name, args=[partner.public_id])
            assert client.get(url).status_code == 404
            assert client.post(url, partner_fields()).status_code == 404
        body = client.get(reverse("support:partner_list")).content.decode()
        assert "CAF de Saône" not in body
    login(client, members_b[Role.REGISSEUR])
    assert (
        client.get(reverse("support:partner_detail", args=[partner.public_id])).status_code == 404
    )
    partner.refresh_from_db()
    assert partner.name == "CAF de Saône-et-Loire"


def test_samples_for_the_isolation_sweep(org_a, dispositif_a):
    from support.models import Referral, Workshop
    from tests.support.samples_network import samples

    found = samples(org_a, {"_dispositif": dispositif_a})
    assert "IML-ALPHA" in Partner.objects.get(public_id=found["partner"]).name
    referral = Referral.objects.select_related("household").get(public_id=found["referral"])
    assert "IML-ALPHA" in referral.reason and referral.outcome == ReferralOutcome.EN_ATTENTE
    assert referral.household.reference == "MENAGE-IML-ALPHA-NW"
    workshop = Workshop.objects.get(public_id=found["workshop"])
    assert "IML-ALPHA" in workshop.title and workshop.participants.count() == 1
