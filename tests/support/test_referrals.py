"""Referrals of a household to a partner: the rules, the screens, roles and isolation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import SupportDomain
from iml.models import Role
from iml.scoping import organisation_context
from support import network
from support.models import Referral, ReferralOutcome
from tests.conftest import login
from tests.households.factories import HouseholdFactory
from tests.support.factories import PartnerFactory, ReferralFactory

D = datetime.date
TODAY = D(2025, 6, 20)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20"):
        yield


@pytest.fixture
def household(org_a):
    # Oriented on 10/01/2025, entered on 01/03/2025.
    return HouseholdFactory(organisation=org_a, reference="MENAGE-ORIENTE", present=True)


@pytest.fixture
def partner(org_a):
    return PartnerFactory(organisation=org_a, name="CPAM de Saône-et-Loire")


def refer(household, partner, user, **overrides):
    fields = {"date": D(2025, 6, 2), "domain": SupportDomain.SANTE,
              "reason": "Complémentaire santé solidaire", **overrides}  # fmt: skip
    return network.referral_create(household=household, partner=partner, by=user, **fields)


# --- Services -------------------------------------------------------------------------------


def test_referral_create_waits_for_its_outcome(household, partner, social_worker_a):
    referral = refer(household, partner, social_worker_a.user, reason="  Complémentaire   santé ")
    assert referral.outcome == ReferralOutcome.EN_ATTENTE and referral.outcome_date is None
    assert referral.reason == "Complémentaire santé"
    assert referral.created_by == social_worker_a.user
    assert list(network.household_referrals(household)) == [referral]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": D(2025, 6, 21)}, "date", "dans le futur"),
        ({"date": D(2025, 1, 9)}, "date", "orientation SIAO du ménage (10/01/2025)"),
        ({"reason": "   "}, "reason", "Indiquez le motif"),
        ({"domain": "inconnu"}, "domain", ""),
    ],
)
def test_referral_create_refuses_bad_input_and_writes_nothing(
    household, partner, social_worker_a, overrides, field, message
):
    with pytest.raises(ValidationError) as error:
        refer(household, partner, social_worker_a.user, **overrides)
    assert message in " ".join(error.value.message_dict[field])
    assert not Referral.objects.exists()


def test_referral_on_the_orientation_day_and_today_are_accepted(household, partner, head_a):
    refer(household, partner, head_a.user, date=D(2025, 1, 10))
    refer(household, partner, head_a.user, date=TODAY)
    assert Referral.objects.count() == 2


def test_referral_to_an_inactive_partner_is_refused(household, partner, social_worker_a):
    partner.is_active = False
    partner.save()
    with pytest.raises(ValidationError) as error:
        refer(household, partner, social_worker_a.user)
    assert "n’est plus un partenaire actif" in error.value.message_dict["partner"][0]
    assert not Referral.objects.exists()


def test_referral_to_another_organisations_partner_is_refused(household, social_worker_a, org_b):
    foreign = PartnerFactory(organisation=org_b, name="Partenaire de B")
    with pytest.raises(ValidationError, match="n’appartient pas à l’organisation"):
        refer(household, foreign, social_worker_a.user)
    assert not Referral.all_organisations.exists()


def test_referral_close(household, partner, social_worker_a):
    referral = refer(household, partner, social_worker_a.user)
    closed = network.referral_close(referral=referral, outcome=ReferralOutcome.ABOUTIE,
                                    outcome_date=D(2025, 6, 2), notes=" Droits ouverts ",
                                    by=social_worker_a.user)  # fmt: skip
    assert closed.outcome == ReferralOutcome.ABOUTIE and closed.outcome_date == D(2025, 6, 2)
    assert closed.outcome_notes == "Droits ouverts"


@pytest.mark.parametrize(
    ("outcome", "outcome_date", "field", "message"),
    [
        (ReferralOutcome.SANS_SUITE, D(2025, 6, 1), "outcome_date", "précéder l’orientation"),
        (ReferralOutcome.SANS_SUITE, D(2025, 6, 21), "outcome_date", "dans le futur"),
        (ReferralOutcome.EN_ATTENTE, D(2025, 6, 10), "outcome", "aboutie"),
    ],
)
def test_referral_close_refuses_bad_input_and_writes_nothing(
    household, partner, social_worker_a, outcome, outcome_date, field, message
):
    referral = refer(household, partner, social_worker_a.user)
    with pytest.raises(ValidationError) as error:
        network.referral_close(referral=referral, outcome=outcome, outcome_date=outcome_date,
                               notes="", by=social_worker_a.user)  # fmt: skip
    assert message in " ".join(error.value.message_dict[field])
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.EN_ATTENTE and referral.outcome_date is None


def test_referral_is_closed_once(household, partner, social_worker_a):
    referral = refer(household, partner, social_worker_a.user)
    user = social_worker_a.user
    network.referral_close(referral=referral, outcome=ReferralOutcome.SANS_SUITE,
                           outcome_date=D(2025, 6, 3), notes="", by=user)  # fmt: skip
    with pytest.raises(ValidationError, match="déjà une suite"):
        network.referral_close(referral=referral, outcome=ReferralOutcome.ABOUTIE,
                               outcome_date=D(2025, 6, 4), notes="", by=user)  # fmt: skip
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.SANS_SUITE


# --- Household page selector and snippet ----------------------------------------------------


def test_household_referrals_newest_first_in_one_query(
    household, partner, org_a, django_assert_num_queries
):
    other = PartnerFactory(organisation=org_a, name="France Travail")
    old = ReferralFactory(organisation=org_a, household=household, partner=partner,
                          date=D(2025, 3, 5))  # fmt: skip
    new = ReferralFactory(organisation=org_a, household=household, partner=other,
                          date=D(2025, 6, 5))  # fmt: skip
    ReferralFactory(organisation=org_a, partner=partner)  # another household's
    with django_assert_num_queries(1):
        referrals = list(network.household_referrals(household))
        assert [r.partner.name for r in referrals] == ["France Travail", partner.name]
    assert referrals == [new, old]


def test_household_snippet_lists_referrals_and_links_to_the_outcome(household, partner, org_a):
    referral = ReferralFactory(organisation=org_a, household=household, partner=partner,
                               reason="Dossier CSS")  # fmt: skip
    html = render_to_string(
        "support/referral_household_list.html",
        {"household": household, "referrals": network.household_referrals(household)},
    )
    assert "Dossier CSS" in html and "en attente" in html
    assert reverse("support:referral_outcome", args=[referral.public_id]) in html
    assert reverse("support:referral_create", args=[household.public_id]) in html
    assert 'data-label="Partenaire"' in html
    empty = render_to_string("support/referral_household_list.html",
                             {"household": household, "referrals": []})  # fmt: skip
    assert "Aucune orientation" in empty


# --- Screens --------------------------------------------------------------------------------


def post_data(partner, **overrides) -> dict:
    return {"partner": partner.pk, "date": "2025-06-02", "domain": SupportDomain.SANTE,
            "reason": "Complémentaire santé solidaire", **overrides}  # fmt: skip


def test_referral_create_screen(client, household, partner, members_a, org_a):
    PartnerFactory(organisation=org_a, name="Ancien partenaire", is_active=False)
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:referral_create", args=[household.public_id])
    page = client.get(url).content.decode()
    assert 'value="2025-06-20"' in page  # today by default
    assert "CPAM de Saône-et-Loire" in page and "Ancien partenaire" not in page
    response = client.post(url, post_data(partner))
    assert response.status_code == 302 and response["Location"] == household.get_absolute_url()
    referral = Referral.objects.get()
    assert referral.household == household and referral.partner == partner
    assert referral.created_by == members_a[Role.SOCIAL_WORKER].user


def test_referral_create_screen_shows_the_rules(client, household, partner, members_a):
    login(client, members_a[Role.HEAD])
    url = reverse("support:referral_create", args=[household.public_id])
    response = client.post(url, post_data(partner, date="2025-07-01"))
    assert response.status_code == 200 and "dans le futur" in response.content.decode()
    response = client.post(url, post_data(partner, reason=""))
    assert response.status_code == 200
    assert not Referral.objects.exists()


def test_referral_create_refuses_another_organisations_or_an_inactive_partner(
    client, household, partner, members_a, org_a, org_b
):
    foreign = PartnerFactory(organisation=org_b, name="Partenaire de B")
    inactive = PartnerFactory(organisation=org_a, name="Ancien partenaire", is_active=False)
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:referral_create", args=[household.public_id])
    for other in (foreign, inactive):
        response = client.post(url, post_data(other))
        assert response.status_code == 200
        assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Referral.all_organisations.exists()


def test_referral_create_without_partner_says_to_add_one(client, household, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    body = client.get(reverse("support:referral_create", args=[household.public_id])).content
    assert "Aucun partenaire actif" in body.decode()
    assert reverse("support:partner_create") in body.decode()


def test_referral_outcome_screen(client, household, partner, members_a, org_a):
    referral = ReferralFactory(organisation=org_a, household=household, partner=partner,
                               date=D(2025, 6, 2))  # fmt: skip
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:referral_outcome", args=[referral.public_id])
    page = client.get(url).content.decode()
    assert "CPAM de Saône-et-Loire" in page and 'value="2025-06-20"' in page
    assert 'value="en_attente"' not in page
    response = client.post(url, {"outcome": "aboutie", "outcome_date": "2025-06-01"})
    assert response.status_code == 200 and "précéder l’orientation" in response.content.decode()
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.EN_ATTENTE
    response = client.post(url, {"outcome": "en_attente", "outcome_date": "2025-06-10"})
    assert response.status_code == 200
    response = client.post(url, {"outcome": "aboutie", "outcome_date": "2025-06-10",
                                 "notes": "Droits ouverts"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == household.get_absolute_url()
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.ABOUTIE
    assert referral.outcome_date == D(2025, 6, 10) and referral.outcome_notes == "Droits ouverts"
    # Closed: the page says so, and a second outcome is refused.
    assert "déjà une suite" in client.get(url).content.decode()
    response = client.post(url, {"outcome": "sans_suite", "outcome_date": "2025-06-11"})
    assert response.status_code == 200 and "déjà une suite" in response.content.decode()
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.ABOUTIE


# --- Roles and isolation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.SOCIAL_WORKER, 200), (Role.HEAD, 200), (Role.REGISSEUR, 403), (Role.ADMIN, 403)],
)
def test_role_matrix(client, household, partner, members_a, org_a, role, status):
    referral = ReferralFactory(organisation=org_a, household=household, partner=partner)
    login(client, members_a[role])
    create = reverse("support:referral_create", args=[household.public_id])
    outcome = reverse("support:referral_outcome", args=[referral.public_id])
    assert client.get(create).status_code == status
    assert client.get(outcome).status_code == status
    if status == 403:
        assert client.post(create, post_data(partner)).status_code == 403
        data = {"outcome": "aboutie", "outcome_date": "2025-06-10"}
        assert client.post(outcome, data).status_code == 403
        assert Referral.objects.count() == 1
        referral.refresh_from_db()
        assert referral.outcome == ReferralOutcome.EN_ATTENTE


def test_another_organisation_gets_404(client, household, partner, members_b, org_a, org_b):
    referral = ReferralFactory(organisation=org_a, household=household, partner=partner)
    with organisation_context(org_b):
        partner_b = PartnerFactory(organisation=org_b, name="Partenaire de B")
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_b[role])
        create = reverse("support:referral_create", args=[household.public_id])
        outcome = reverse("support:referral_outcome", args=[referral.public_id])
        assert client.get(create).status_code == 404
        assert client.post(create, post_data(partner_b)).status_code == 404
        assert client.get(outcome).status_code == 404
        data = {"outcome": "aboutie", "outcome_date": "2025-06-10"}
        assert client.post(outcome, data).status_code == 404
    assert Referral.all_organisations.count() == 1
    referral.refresh_from_db()
    assert referral.outcome == ReferralOutcome.EN_ATTENTE
