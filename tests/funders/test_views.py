"""The DDETS's pages and the head's submission page, through the test client."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from funders.models import FunderAccess, Submission
from iml.models import Role
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.funders.helpers import (
    agent,
    ddets,
    dreets,
    figures_with,
    ready_version,
    submitted,
)

D = datetime.date


@pytest.fixture
def somme():
    return ddets("80")


@pytest.fixture
def operators(db, somme):
    """Three operators of the Somme, a dispositif each, their heads."""
    made = []
    for n in range(3):
        organisation = OrganisationFactory(name=f"Opérateur {n}", slug=f"op-{n}", departement="80")
        dispositif = DispositifFactory(organisation=organisation, code=f"IML-{n}", places=10,
                                       ddets=somme)  # fmt: skip
        head = MembershipFactory(organisation=organisation, role=Role.HEAD).user
        made.append((organisation, dispositif, head))
    return made


def test_the_ddets_sees_each_dispositif_with_the_year_status(client, operators, somme):
    (_, first, head0), (_, second, head1), _ = operators
    submitted(first, head0, figures=figures_with(present_at_end=17, entered=9, exited=6))
    returned = submitted(second, head1)
    Submission.objects.filter(pk=returned.pk).update(status="renvoye", comment="À revoir.")
    client.force_login(agent(somme).user)
    page = client.get(reverse("funders:home"), {"annee": 2025}).content.decode()
    assert "Opérateur 0" in page and "IML-0" in page
    assert "transmis" in page and "renvoyé pour correction" in page and "non transmis" in page
    # Its own dispositif's figures unmasked, the département's sum beside them.
    assert "Département 80" in page and "Région Hauts-de-France" in page
    assert FunderAccess.objects.filter(object_type="tableau").count() == 1


def test_the_home_page_reads_a_constant_number_of_queries(
    client, operators, somme, django_assert_max_num_queries
):
    client.force_login(agent(somme).user)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("funders:home"), {"annee": 2025})
    for _, dispositif, head in operators:
        submitted(dispositif, head)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("funders:home"), {"annee": 2025})


def test_the_report_page_shows_n_minus_one_and_the_versions(client, operators, somme):
    _, dispositif, head = operators[0]
    submitted(dispositif, head, start=D(2024, 1, 1), end=D(2024, 12, 31),
              figures=figures_with(entered=4))  # fmt: skip
    current = submitted(dispositif, head, figures=figures_with(entered=11))
    client.force_login(agent(somme).user)
    response = client.get(reverse("funders:submission_detail", args=[current.public_id]))
    page = response.content.decode()
    assert "2024 (N-1, rapport transmis)" in page
    assert "Versions transmises pour cette période" in page
    assert "Accuser réception" in page
    assert FunderAccess.objects.filter(object_id=current.public_id, action="view").exists()
    pdf = client.get(reverse("funders:submission_pdf", args=[current.public_id]))
    assert pdf["Content-Type"] == "application/pdf"
    assert FunderAccess.objects.filter(object_id=current.public_id, action="export").exists()


def test_the_ddets_returns_a_report_and_the_head_reads_why(client, operators, somme):
    _, dispositif, head = operators[0]
    submission = submitted(dispositif, head)
    client.force_login(agent(somme).user)
    url = reverse("funders:submission_review", args=[submission.public_id])
    response = client.post(url, {"decision": "renvoye", "comment": ""}, follow=True)
    assert "Dites à l’opérateur" in response.content.decode()
    client.post(url, {"decision": "renvoye", "comment": "Le récit manque."})
    submission.refresh_from_db()
    assert submission.status == "renvoye"
    client.force_login(head)
    page = client.get(reverse("funders:operator_submissions")).content.decode()
    assert "Le récit manque." in page and "renvoyé pour correction" in page
    assert "Ouvert par la DDETS" in page and "pas encore" not in page


def test_the_head_submits_once_however_many_times_the_form_is_posted(client, operators):
    organisation, dispositif, head = operators[0]
    with organisation_context(organisation):
        version = ready_version(dispositif, head)
    client.force_login(head)
    page = client.get(reverse("funders:operator_submissions")).content.decode()
    assert "Transmettre à DDETS ddets-80" in page
    url = reverse("funders:submit_version", args=[version.public_id])
    first = client.post(url, follow=True).content.decode()
    assert "Rapport transmis à DDETS ddets-80 (version 1)" in first
    second = client.post(url, follow=True).content.decode()
    assert "déjà été transmise" in second
    assert Submission.objects.count() == 1


def test_a_social_worker_cannot_submit(client, operators):
    organisation, dispositif, head = operators[0]
    worker = MembershipFactory(organisation=organisation, role=Role.SOCIAL_WORKER).user
    with organisation_context(organisation):
        version = ready_version(dispositif, head)
    client.force_login(worker)
    url = reverse("funders:submit_version", args=[version.public_id])
    assert client.post(url).status_code == 403
    assert not Submission.objects.exists()


def test_the_operator_compares_itself_with_the_anonymous_region(client, operators):
    for _, dispositif, head in operators[:2]:
        submitted(dispositif, head)
    _, _, head = operators[0]
    client.force_login(head)
    url = reverse("funders:benchmark")
    page = client.get(url, {"annee": 2025}).content.decode()
    assert "Moins de 3 opérateurs" in page and "Région Hauts-de-France" not in page
    _, dispositif, other_head = operators[2]
    submitted(dispositif, other_head)
    page = client.get(url, {"annee": 2025}).content.decode()
    assert "Région Hauts-de-France (3 opérateurs)" in page
    assert "Opérateur 1" not in page and "Opérateur 2" not in page


def test_the_dreets_review_masks_small_counts_per_dispositif(client, operators):
    _, dispositif, head = operators[0]
    submitted(dispositif, head, figures=figures_with(present_at_end=3, entered=12, exited=3))
    client.force_login(agent(dreets("32")).user)
    response = client.get(reverse("funders:regional"), {"annee": 2025})
    page = response.content.decode()
    assert "Revue régionale 2025 — Hauts-de-France" in page
    assert "&lt; 5" in page
    assert "IML-1" in page  # not submitted yet: listed
    export = client.get(reverse("funders:regional"), {"annee": 2025, "format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_agent_reaches_their_account_security_page_and_no_team_page(client, db, somme):
    client.force_login(agent(somme).user)
    page = client.get(reverse("security"))
    assert page.status_code == 200 and "Sécurité du compte" in page.content.decode()
    assert client.get(reverse("member_list")).status_code == 403
    assert client.get(reverse("dashboard")).url == reverse("funders:home")


def test_the_ddets_is_told_of_a_report_and_the_head_of_its_review(
    client, operators, somme, mailoutbox, django_capture_on_commit_callbacks
):
    _, dispositif, head = operators[0]
    ddets_agent = agent(somme).user
    with django_capture_on_commit_callbacks(execute=True):
        submission = submitted(dispositif, head)
    (arrived,) = mailoutbox
    assert arrived.to == [ddets_agent.email]
    assert "Opérateur 0" in arrived.subject
    assert f"/financeur/rapports/{submission.public_id}/" in arrived.body
    client.force_login(ddets_agent)
    url = reverse("funders:submission_review", args=[submission.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"decision": "renvoye", "comment": "Le récit manque."})
    told = mailoutbox[-1]
    assert told.to == [head.email]
    assert "renvoyé pour correction" in told.subject and "Le récit manque." in told.body


def test_the_head_s_page_and_the_regional_review_read_constant_queries(
    client, operators, django_assert_max_num_queries
):
    organisation, dispositif, head = operators[0]
    dreets_agent = agent(dreets("32")).user
    pages = [(head, reverse("funders:operator_submissions")),
             (dreets_agent, reverse("funders:regional") + "?annee=2025")]  # fmt: skip
    counts = []
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(20) as captured:
            client.get(url)
        counts.append(len(captured.captured_queries))
    for n in range(4):  # more versions, submissions and dispositifs
        for _, each, each_head in operators:
            submitted(each, each_head, start=D(2025 - n, 1, 1), end=D(2025 - n, 12, 31))
        with organisation_context(organisation):
            ready_version(dispositif, head, start=D(2020 - n, 1, 1), end=D(2020 - n, 12, 31))
    for (user, url), count in zip(pages, counts, strict=True):
        client.force_login(user)
        with django_assert_max_num_queries(count):
            client.get(url)


def test_the_funders_access_log_is_kept_a_year(db, somme):
    from freezegun import freeze_time

    from funders.tasks import purge_funder_access

    user = agent(somme).user
    with freeze_time("2025-01-10 12:00"):
        FunderAccess.objects.create(user=user, institution=somme, action="view",
                                    object_type="tableau", path="/financeur/")  # fmt: skip
    with freeze_time("2025-12-01 12:00"):
        FunderAccess.objects.create(user=user, institution=somme, action="view",
                                    object_type="tableau", path="/financeur/")  # fmt: skip
    with freeze_time("2026-01-11 12:00"):
        assert purge_funder_access() == 1
    assert FunderAccess.objects.count() == 1


def test_a_first_year_on_the_platform_compares_with_n_minus_one_as_of_the_submission(
    client, operators, somme
):
    """No report of 2024 was submitted: N-1 is the operator's data of 2024 when the 2025
    report was submitted (two households entered in 2024, one of them with the SIAO), frozen
    with it."""
    from tests.reporting.factories import household

    _, dispositif, head = operators[0]
    household(dispositif, "M-1", entry_date=D(2024, 3, 1), orientation_date=D(2024, 1, 5))
    household(dispositif, "M-2", entry_date=D(2024, 9, 1), orientation_date=None)
    household(dispositif, "M-3", entry_date=D(2025, 2, 1))
    submission = submitted(dispositif, head)
    assert submission.previous["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert submission.previous["figures"]["households"]["entered"] == 2
    assert submission.previous["funder_figures"]["entries_oriented_by_siao"] == 1
    client.force_login(agent(somme).user)
    page = client.get(reverse("funders:submission_detail", args=[submission.public_id]))
    text = page.content.decode()
    assert "2024 (N-1, données de l’opérateur à la transmission)" in text
    # 1 of the 2 entries of 2024 oriented by the SIAO, beside the report's 8 of 9.
    assert "50,0\u00a0%" in text and "88,9\u00a0%" in text
