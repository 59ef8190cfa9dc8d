"""Support contracts: signature while the household is present, one per household, a
social worker or head as referent, objectives (added, closed, reopened), renewals by amendment
with the 18-month rule, the contract page and its PDF; who may do what; another
organisation's objects; bounded queries."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from households.stays import current_end
from iml.codes import PersonRole, SupportDomain
from iml.models import AccessAction, AccessLog, Role
from support import contracts as services
from support.models import ObjectiveStatus, SupportAmendment, SupportContract, SupportObjective
from support.urls import urlpatterns
from support.views import contracts as views
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.support.factories import SupportObjectiveFactory

D = datetime.date
TODAY = D(2025, 6, 20)
ENTRY = D(2025, 3, 1)  # HouseholdFactory(present=True)
CAF = (SupportDomain.ADMINISTRATIF, "Ouvrir les droits CAF")
BUDGET = (SupportDomain.BUDGET, "Tenir un budget mensuel")
# The screens of support/views/contracts.py, as support/urls.py lists them.
CONTRACT_PATTERNS = [p for p in urlpatterns if p.callback.__module__ == views.__name__]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 10:00:00"):
        yield


@pytest.fixture
def household(org_a, dispositif_a, social_worker_a):
    """Present since 2025-03-01: two adults, a son of 19, a daughter of 16 and a child."""
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                                 reference="M-SUIVI", referent=social_worker_a.user)  # fmt: skip
    for first_name, role, born in (
        ("Amina", PersonRole.REFERENT, D(1988, 4, 2)),
        ("Moussa", PersonRole.CONJOINT, D(1985, 1, 9)),
        ("Ibrahim", PersonRole.AUTRE, D(2006, 1, 5)),
        ("Fatou", PersonRole.AUTRE, D(2009, 2, 1)),
        ("Awa", PersonRole.ENFANT, D(2019, 6, 1)),
    ):
        PersonFactory(organisation=org_a, household=household, first_name=first_name,
                      last_name="Diallo", role=role, birth_date=born)  # fmt: skip
    return household


SIGNED = D(2025, 3, 20)


def sign(household, by, signed_on=SIGNED, referent=None, objectives=(CAF,), **extra):
    return services.support_contract_sign(
        household=household,
        signed_on=signed_on,
        referent=referent or by,
        objectives=list(objectives),
        by=by,
        **extra,
    )


@pytest.fixture
def contract(household, social_worker_a):
    return sign(household, social_worker_a.user, objectives=[CAF, BUDGET], notes="Premier bilan")


def nothing_written() -> bool:
    return not SupportContract.objects.exists() and not SupportObjective.objects.exists()


# --- Signature ------------------------------------------------------------------------------


def test_signature_for_six_months_with_its_objectives(household, social_worker_a):
    contract = sign(household, social_worker_a.user, objectives=[CAF, ("", "  "), BUDGET])
    assert contract.initial_end_date == D(2025, 9, 20)
    assert current_end(contract) == D(2025, 9, 20)
    assert contract.referent == social_worker_a.user
    rows = list(contract.objectives.values_list("domain", "text", "start_date", "status"))
    assert rows == [
        ("administratif", "Ouvrir les droits CAF", D(2025, 3, 20), "en_cours"),
        ("budget", "Tenir un budget mensuel", D(2025, 3, 20), "en_cours"),
    ]
    assert services.days_after_entry(contract) == 19 and not services.signed_late(contract)


def test_signature_on_the_31st_ends_on_the_last_day_of_the_sixth_month(household, head_a):
    contract = sign(household, head_a.user, signed_on=D(2025, 3, 31))
    assert contract.initial_end_date == D(2025, 9, 30)


def test_signature_more_than_a_month_after_entry_is_allowed_and_flagged(household, head_a):
    contract = sign(household, head_a.user, signed_on=D(2025, 4, 15))
    assert services.days_after_entry(contract) == 45 and services.signed_late(contract)


@pytest.mark.parametrize(
    ("entry", "exit", "signed_on", "accepted"),
    [
        (None, None, D(2025, 3, 20), False),  # never entered (waiting list)
        (ENTRY, None, D(2025, 2, 28), False),  # before the entry
        (ENTRY, None, ENTRY, True),  # the day of entry
        (ENTRY, D(2025, 5, 1), D(2025, 4, 30), True),  # the last day in
        (ENTRY, D(2025, 5, 1), D(2025, 5, 1), False),  # the first day out
    ],
)
def test_the_household_must_be_present_on_the_day(
    org_a, dispositif_a, head_a, entry, exit, signed_on, accepted
):
    household = HouseholdFactory(
        organisation=org_a, dispositif=dispositif_a, entry_date=entry, exit_date=exit,
        exit_destination="logement_social" if exit else "",
    )  # fmt: skip
    if accepted:
        assert sign(household, head_a.user, signed_on=signed_on).signed_on == signed_on
    else:
        with pytest.raises(ValidationError, match="pas présent dans le dispositif"):
            sign(household, head_a.user, signed_on=signed_on)
        assert nothing_written()


def test_no_signature_in_the_future(household, head_a):
    with pytest.raises(ValidationError, match="ne peut pas être dans le futur"):
        sign(household, head_a.user, signed_on=D(2025, 6, 21))
    assert nothing_written()


def test_one_contract_per_household(contract, household, head_a):
    with pytest.raises(ValidationError, match="déjà un contrat d’accompagnement"):
        sign(household, head_a.user, objectives=[BUDGET])
    assert SupportContract.objects.count() == 1 and SupportObjective.objects.count() == 2


@pytest.mark.parametrize("case", ["regisseur", "admin", "inactive", "other_organisation"])
def test_the_referent_is_an_active_social_worker_or_head_of_the_organisation(
    case, household, head_a, members_a, org_a, org_b
):
    if case == "inactive":
        referent = MembershipFactory(organisation=org_a, is_active=False).user
    elif case == "other_organisation":
        referent = MembershipFactory(organisation=org_b).user
    else:
        referent = members_a[case].user
    with pytest.raises(ValidationError, match="travailleur·se social·e ou chef·fe de service"):
        sign(household, head_a.user, referent=referent)
    assert nothing_written()


@pytest.mark.parametrize(
    ("objectives", "message"),
    [
        ([], "au moins un objectif"),
        ([("", " ")], "au moins un objectif"),
        ([("inconnu", "Texte")], "Choisissez le domaine"),
        ([CAF, (SupportDomain.SANTE, " ")], "Objectif 2 : Décrivez l’objectif"),
        ([(SupportDomain.SANTE, "x" * 301)], "300 caractères"),
    ],
)
def test_objectives_are_required_and_checked(household, head_a, objectives, message):
    with pytest.raises(ValidationError, match=message):
        sign(household, head_a.user, objectives=objectives)
    assert nothing_written()


# --- Renewals -------------------------------------------------------------------------------


def test_renewals_counted_from_the_entry_beyond_18_months_justified(contract, head_a):
    by = head_a.user
    # Entered on 2025-03-01, signed on 2025-03-20: 18 months of stay end on 2026-09-01.
    first = services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 1), by=by)
    assert (first.number, first.new_end_date, first.beyond_limit) == (1, D(2026, 3, 20), False)
    with pytest.raises(ValidationError, match="justification écrite est obligatoire"):
        services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 2), by=by)
    with pytest.raises(ValidationError, match="justification écrite est obligatoire"):
        services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 2), by=by,
                                        justification="   ")  # fmt: skip
    assert SupportAmendment.objects.count() == 1
    second = services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 2), by=by,
                                             months=5)  # fmt: skip
    assert (second.new_end_date, second.beyond_limit) == (D(2026, 8, 20), False)
    reason = "Relogement OPAC attribué, entrée en décembre."
    third = services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 3), by=by,
                                            justification=f" {reason} ")  # fmt: skip
    assert (third.number, third.new_end_date, third.beyond_limit) == (3, D(2027, 2, 20), True)
    assert third.justification == reason
    assert current_end(contract) == D(2027, 2, 20)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": 0}, "de 1 à 12 mois"),
        ({"months": 13}, "de 1 à 12 mois"),
        ({"signed_on": D(2025, 3, 19)}, "ne peut précéder le contrat"),
        ({"signed_on": D(2025, 6, 21)}, "ne peut pas être dans le futur"),
    ],
)
def test_renewal_input_is_checked(contract, head_a, kwargs, message):
    data = {"signed_on": D(2025, 6, 1), **kwargs}
    with pytest.raises(ValidationError, match=message):
        services.support_contract_renew(contract=contract, by=head_a.user, **data)
    assert not SupportAmendment.objects.exists()


def test_no_renewal_once_the_household_has_left(contract, household, head_a):
    household.exit_date, household.exit_destination = D(2025, 6, 1), "logement_social"
    household.save()
    with pytest.raises(ValidationError, match="sorti du dispositif"):
        services.support_contract_renew(contract=contract, signed_on=D(2025, 5, 20),
                                        by=head_a.user)  # fmt: skip
    assert not SupportAmendment.objects.exists()


# --- Objectives -----------------------------------------------------------------------------


def test_objective_added_during_the_stay(contract, household, head_a):
    by = head_a.user
    added = services.objective_add(contract=contract, domain=SupportDomain.LANGUE,
                                   text=" Cours de français ", start_date=D(2025, 5, 2),
                                   by=by)  # fmt: skip
    assert (added.text, added.start_date, added.status) == ("Cours de français", D(2025, 5, 2),
                                                            ObjectiveStatus.EN_COURS)  # fmt: skip
    for start, message in (
        (D(2025, 3, 19), "ne peut précéder la signature"),
        (D(2025, 6, 21), "ne peut pas être dans le futur"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.objective_add(contract=contract, domain=SupportDomain.LANGUE, text="x",
                                   start_date=start, by=by)  # fmt: skip
    with pytest.raises(ValidationError, match="Choisissez le domaine"):
        services.objective_add(contract=contract, domain="", text="x", start_date=TODAY, by=by)
    household.exit_date, household.exit_destination = D(2025, 6, 1), "logement_social"
    household.save()
    with pytest.raises(ValidationError, match="Le ménage est sorti le 01/06/2025"):
        services.objective_add(contract=contract, domain=SupportDomain.LANGUE, text="x",
                               start_date=D(2025, 6, 1), by=by)  # fmt: skip
    assert contract.objectives.count() == 3


def test_objective_closed_reached_or_given_up_then_reopened(contract, head_a):
    by = head_a.user
    caf, budget = contract.objectives.order_by("pk")
    reached = services.objective_close(objective=caf, status=ObjectiveStatus.ATTEINT,
                                       closed_on=D(2025, 3, 20), by=by)  # fmt: skip
    assert (reached.status, reached.closed_on) == (ObjectiveStatus.ATTEINT, D(2025, 3, 20))
    with pytest.raises(ValidationError, match="déjà clos"):
        services.objective_close(objective=caf, status=ObjectiveStatus.ABANDONNE,
                                 closed_on=TODAY, by=by)  # fmt: skip
    for status, closed_on, message in (
        (ObjectiveStatus.ABANDONNE, D(2025, 3, 19), "ne peut précéder la date de l’objectif"),
        (ObjectiveStatus.ABANDONNE, D(2025, 6, 21), "ne peut pas être dans le futur"),
        (ObjectiveStatus.EN_COURS, TODAY, "atteint ou abandonné"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.objective_close(objective=budget, status=status, closed_on=closed_on, by=by)
    budget.refresh_from_db()
    assert (budget.status, budget.closed_on) == (ObjectiveStatus.EN_COURS, None)
    reopened = services.objective_reopen(objective=caf, by=by)
    assert (reopened.status, reopened.closed_on) == (ObjectiveStatus.EN_COURS, None)
    with pytest.raises(ValidationError, match="déjà en cours"):
        services.objective_reopen(objective=caf, by=by)


# --- Screens --------------------------------------------------------------------------------


def sign_url(household) -> str:
    return reverse("support:contract_sign", args=[household.public_id])


def test_sign_form_proposes_the_household_referent_and_signs(client, household, social_worker_a,
                                                             head_a):  # fmt: skip
    login(client, head_a)
    page = client.get(sign_url(household))
    assert page.status_code == 200
    assert page.context["form"]["referent"].value() == social_worker_a.user.pk
    assert page.context["form"]["signed_on"].value() == TODAY
    response = client.post(sign_url(household), {
        "signed_on": "2025-03-20", "referent": social_worker_a.user.pk, "notes": "",
        "domain_1": "", "text_1": "", "domain_2": "budget", "text_2": "Tenir un budget",
        "domain_3": "", "text_3": "",
    }, follow=True)  # fmt: skip
    contract = SupportContract.objects.get()
    assert response.redirect_chain[-1][0] == contract.get_absolute_url()
    assert "Contrat d’accompagnement signé le 20/03/2025, jusqu’au 20/09/2025" in (
        response.content.decode()
    )
    objectives = list(contract.objectives.values_list("domain", "text"))
    assert objectives == [("budget", "Tenir un budget")]
    # Once signed, the form leads to the contract.
    assert client.get(sign_url(household)).url == contract.get_absolute_url()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "au moins un objectif"),
        ({"domain_1": "budget"}, "Décrivez l’objectif, ou videz la ligne"),
        ({"text_1": "Tenir un budget"}, "Choisissez le domaine de l’objectif"),
        ({"domain_1": "budget", "text_1": "x", "signed_on": "2025-02-01"}, "pas présent"),
        ({"domain_1": "budget", "text_1": "x", "signed_on": "2025-06-21"}, "dans le futur"),
        ({"domain_1": "budget", "text_1": "x", "referent": "regisseur"}, "choix valide"),
    ],
)
def test_sign_form_refuses_bad_input_and_writes_nothing(
    client, household, head_a, members_a, data, message
):
    login(client, head_a)
    data = dict(data)
    # The régisseur is not among the choices offered (the service refuses it too, above).
    referent = members_a[data.pop("referent", Role.HEAD)]
    post = {"signed_on": "2025-03-20", **data, "referent": referent.user.pk}
    response = client.post(sign_url(household), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert nothing_written()


def test_sign_page_of_a_household_not_yet_entered_says_so(client, org_a, dispositif_a, head_a):
    waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
    login(client, head_a)
    body = client.get(sign_url(waiting)).content.decode()
    assert "pas encore entré" in body and 'name="signed_on"' not in body


def test_contract_page_shows_dates_objectives_and_amendments(client, contract, household, head_a):
    services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 1), by=head_a.user)
    services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 2), by=head_a.user,
                                    justification="Relogement imminent")  # fmt: skip
    login(client, head_a)
    body = client.get(contract.get_absolute_url()).content.decode()
    for text in ("20/03/2025", "20/09/2025", "20/09/2026", "19 jours après l’entrée",
                 "Ouvrir les droits CAF", "gestion budgétaire", "au-delà de 18 mois",
                 "Relogement imminent", household.get_absolute_url(),
                 reverse("support:contract_pdf", args=[contract.public_id])):  # fmt: skip
        assert text in body, text
    assert "au-delà du premier mois" not in body
    log = AccessLog.objects.get(object_type="supportcontract")
    assert (log.action, log.household_id) == (AccessAction.VIEW, household.public_id)


def test_contract_page_warns_of_a_late_signature(client, household, head_a):
    contract = sign(household, head_a.user, signed_on=D(2025, 4, 15))
    login(client, head_a)
    body = client.get(contract.get_absolute_url()).content.decode()
    assert "signé 45 jours après l’entrée du ménage (au-delà du premier mois)" in body


def test_objectives_added_and_closed_from_the_contract_page(client, contract, social_worker_a):
    login(client, social_worker_a)
    url = reverse("support:objective_add", args=[contract.public_id])
    response = client.post(url, {"domain": "langue", "text": "Cours de français",
                                 "start_date": "2025-06-20"})  # fmt: skip
    assert response.url == f"{contract.get_absolute_url()}#objectifs"
    response = client.post(url, {"domain": "langue", "text": "Trop tôt",
                                 "start_date": "2025-03-01"})  # fmt: skip
    assert response.status_code == 200 and "ne peut précéder la signature" in (
        response.content.decode()
    )
    caf = contract.objectives.get(text="Ouvrir les droits CAF")
    close = reverse("support:objective_close", args=[caf.public_id])
    body = client.post(close, {"status": "atteint", "closed_on": "2025-03-01"},
                       follow=True).content.decode()  # fmt: skip
    assert "Objectif non clos : La clôture ne peut précéder" in body
    body = client.post(close, {"status": "atteint", "closed_on": "2025-06-01"},
                       follow=True).content.decode()  # fmt: skip
    assert "atteint le 01/06/2025" in body
    caf.refresh_from_db()
    assert (caf.status, caf.closed_on) == ("atteint", D(2025, 6, 1))
    body = client.post(close, {"status": "autre", "closed_on": "2025-06-01"},
                       follow=True).content.decode()  # fmt: skip
    assert "choisissez « atteint » ou « abandonné »" in body
    reopen = reverse("support:objective_reopen", args=[caf.public_id])
    assert client.post(reopen).status_code == 302
    caf.refresh_from_db()
    assert caf.status == "en_cours" and contract.objectives.count() == 3
    assert client.get(close).status_code == 405


def test_renewal_screen_requires_a_justification_beyond_18_months(client, contract, head_a):
    login(client, head_a)
    url = reverse("support:contract_renew", args=[contract.public_id])
    assert "Entrée du ménage : 01/03/2025" in client.get(url).content.decode()
    client.post(url, {"signed_on": "2025-06-01", "months": "6"})
    response = client.post(url, {"signed_on": "2025-06-01", "months": "6"})
    assert response.status_code == 200 and "justification écrite est obligatoire" in (
        response.content.decode()
    )
    response = client.post(url, {"signed_on": "2025-06-01", "months": "6",
                                 "justification": "Attente d’un T3"})  # fmt: skip
    assert response.status_code == 302
    assert list(SupportAmendment.objects.values_list("number", "beyond_limit")) == [
        (1, False), (2, True)
    ]  # fmt: skip


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def test_contract_pdf_reads_back(client, contract, household, head_a, social_worker_a):
    caf = contract.objectives.get(text="Ouvrir les droits CAF")
    services.objective_close(objective=caf, status=ObjectiveStatus.ATTEINT,
                             closed_on=D(2025, 5, 5), by=head_a.user)  # fmt: skip
    services.support_contract_renew(contract=contract, signed_on=D(2025, 6, 1), by=head_a.user)
    login(client, head_a)
    response = client.get(reverse("support:contract_pdf", args=[contract.public_id]))
    assert "contrat-accompagnement-M-SUIVI.pdf" in response["Content-Disposition"]
    text = pdf_text(response)
    for part in (
        "Association Alpha",
        "Contrat d’accompagnement individualisé",
        "ménage M-SUIVI",
        "Amina Diallo, Moussa Diallo, Ibrahim Diallo",
        str(social_worker_a.user),
        "Signature du contrat 20/03/2025",
        "Fin de la période initiale 20/09/2025",
        "Fin après avenant(s) 20/03/2026",
        "Démarches administratives, accès aux droits",
        "Ouvrir les droits CAF — fixé le 20/03/2025, atteint le 05/05/2025",
        "Gestion budgétaire",
        "Tenir un budget mensuel",
        "Premier bilan",
        "1 01/06/2025 20/03/2026",
    ):
        assert part in text, part
    pages = len(PdfReader(io.BytesIO(response.content)).pages)
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text  # A4, numbered pages
    assert PdfReader(io.BytesIO(response.content)).pages[0].mediabox.height == pytest.approx(
        841.89, abs=1
    )
    assert "Fatou" not in text and "Awa" not in text
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (log.object_type, log.object_id, log.household_id) == (
        "supportcontract", contract.public_id, household.public_id
    )  # fmt: skip


# --- Who may do what ------------------------------------------------------------------------


def objects(contract) -> dict:
    return {"support_contract": contract.public_id,
            "objective": contract.objectives.first().public_id}  # fmt: skip


def test_role_matrix_of_every_support_contract_screen(client, contract, org_a, dispositif_a,
                                                      members_a):  # fmt: skip
    other = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True)
    kwargs_of = {**objects(contract), "household": other.public_id}
    checked = 0
    for pattern in CONTRACT_PATTERNS:
        url = reverse(f"support:{pattern.name}",
                      kwargs={k: kwargs_of[k] for k in pattern.pattern.converters})  # fmt: skip
        post_only = pattern.name in {"objective_close", "objective_reopen"}
        for role in Role:
            login(client, members_a[role])
            status = (client.post(url) if post_only else client.get(url)).status_code
            allowed = role in (Role.SOCIAL_WORKER, Role.HEAD)
            expected = (302 if post_only else 200) if allowed else 403
            assert status == expected, f"{pattern.name} as {role}: {status}"
            checked += 1
    assert checked == 7 * 4
    assert not SupportContract.objects.filter(household=other).exists()


def test_another_organisation_gets_404_on_every_object(client, contract, household, members_b):
    kwargs_of = {**objects(contract), "household": household.public_id}
    before = list(SupportObjective.objects.order_by("pk").values())
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_b[role])
        for pattern in CONTRACT_PATTERNS:
            url = reverse(f"support:{pattern.name}",
                          kwargs={k: kwargs_of[k] for k in pattern.pattern.converters})  # fmt: skip
            if pattern.name not in {"objective_close", "objective_reopen"}:
                assert client.get(url).status_code == 404, pattern.name
            data = {"status": "atteint", "closed_on": "2025-06-01", "signed_on": "2025-06-01",
                    "months": "6", "domain": "budget", "text": "x", "start_date": "2025-06-01",
                    "domain_1": "budget", "text_1": "x"}  # fmt: skip
            assert client.post(url, data).status_code == 404, pattern.name
    assert list(SupportObjective.objects.order_by("pk").values()) == before
    assert not SupportAmendment.objects.exists() and SupportContract.objects.count() == 1
    assert not AccessLog.objects.exists()


def test_contract_page_query_count_is_bounded(
    client, contract, head_a, django_assert_max_num_queries
):
    login(client, head_a)
    with django_assert_max_num_queries(11):
        assert client.get(contract.get_absolute_url()).status_code == 200
    for number in range(12):
        SupportObjectiveFactory(organisation=contract.organisation, contract=contract,
                                text=f"Objectif {number}", start_date=D(2025, 4, 1))  # fmt: skip
    for number in range(1, 4):
        end = D(2025, 9, 20) + datetime.timedelta(days=number)
        SupportAmendment.objects.create(
            contract=contract, number=number, new_end_date=end, signed_on=D(2025, 6, 1)
        )
    objective = contract.objectives.first()
    services.objective_close(objective=objective, status=ObjectiveStatus.ABANDONNE,
                             closed_on=TODAY, by=head_a.user)  # fmt: skip
    with django_assert_max_num_queries(11):
        body = client.get(contract.get_absolute_url()).content.decode()
    assert "Objectif 11" in body and "abandonné le 20/06/2025" in body


def test_samples_for_the_isolation_sweep(org_a, dispositif_a):
    from tests.support.samples_contracts import samples

    found = samples(org_a, {"_dispositif": dispositif_a})
    contract = SupportContract.objects.select_related("household").get(
        public_id=found["support_contract"]
    )
    objective = SupportObjective.objects.get(public_id=found["objective"])
    assert contract.household.reference == "MENAGE-IML-ALPHA-SC"
    assert contract.household.status == "present"
    assert objective.contract == contract and objective.status == ObjectiveStatus.EN_COURS
