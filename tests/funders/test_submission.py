"""Submitting a report to the DDETS, its review, the versions kept, and what crosses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import Error, transaction

from funders import services
from funders.models import FundedDispositif, Submission, SubmissionStatus
from iml.scoping import organisation_context
from reporting.models import ReportStatus
from tests.factories import DispositifFactory
from tests.funders.helpers import (
    PDF,
    XLSX,
    agent,
    ddets,
    figures_with,
    funder_block,
    ready_version,
    submitted,
)


@pytest.fixture
def somme():
    return ddets("80")


@pytest.fixture
def funded(org_a, somme):
    return DispositifFactory(organisation=org_a, code="IML-A", ddets=somme)


@pytest.fixture
def head(head_a):
    return head_a.user


def test_a_dispositif_naming_its_ddets_is_known_on_the_funder_side(org_a, somme):
    dispositif = DispositifFactory(organisation=org_a, code="IML-X", places=20, ddets=somme)
    copy = FundedDispositif.objects.get(dispositif_public_id=dispositif.public_id)
    # Alpha is in 71, the Somme's DDETS covers 80 only: the dispositif counts in 80.
    assert (copy.code, copy.places, copy.departement, copy.region) == ("IML-X", 20, "80", "32")
    assert copy.organisation_name == "Association Alpha"
    dispositif.ddets = None
    dispositif.save()
    assert not FundedDispositif.objects.filter(dispositif_public_id=dispositif.public_id).exists()


def test_submit_copies_the_frozen_version_and_nothing_else(funded, head, somme):
    figures = figures_with(present_at_end=17, entered=9, exited=6)
    with organisation_context(funded.organisation):
        version = ready_version(funded, head, figures=figures)
        submission = services.submit(version=version, by=head)
    submission.refresh_from_db()
    assert submission.institution == somme
    assert (submission.number, submission.status, submission.year) == (1, "transmis", 2025)
    assert submission.figures == figures
    assert submission.funder_figures == funder_block()
    assert bytes(submission.pdf) == PDF and bytes(submission.xlsx) == XLSX
    assert submission.narrative == {"mission": "Loger et accompagner."}
    assert submission.source_version == version.public_id
    assert (submission.organisation_slug, submission.dispositif_code) == ("alpha", "IML-A")
    assert submission.submitted_by == head and submission.submitted_by_name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_ddets", "ne désigne pas de DDETS"),
        ("not_ready", "Seule une version prête"),
        ("no_funder_block", "avant la transmission aux financeurs"),
    ],
)
def test_refused_submissions_write_nothing(funded, head, change, message):
    with organisation_context(funded.organisation):
        fields = {
            "no_ddets": {},
            "not_ready": {"status": ReportStatus.RUNNING},
            "no_funder_block": {"funder_figures": None},
        }[change]
        version = ready_version(funded, head, **fields)
        if change == "no_ddets":
            funded.ddets = None
            funded.save()
        with pytest.raises(ValidationError, match=message):
            services.submit(version=version, by=head)
    assert not Submission.objects.exists()


def test_the_same_version_twice_is_refused(funded, head):
    with organisation_context(funded.organisation):
        version = ready_version(funded, head)
        services.submit(version=version, by=head)
        with pytest.raises(ValidationError, match="déjà été transmise"):
            services.submit(version=version, by=head)
    assert Submission.objects.count() == 1


def test_return_then_corrected_version_keeps_both(funded, head, somme):
    ddets_agent = agent(somme).user
    first = submitted(funded, head)
    with pytest.raises(ValidationError, match="Dites à l’opérateur"):
        services.send_back(submission=first, by=ddets_agent, comment="   ")
    services.send_back(submission=first, by=ddets_agent, comment="Les sorties manquent.")
    second = submitted(funded, head)
    first.refresh_from_db()
    assert (first.status, first.comment, first.number) == (
        "renvoye", "Les sorties manquent.", 1,
    )  # fmt: skip
    assert (second.status, second.number) == ("transmis", 2)
    services.acknowledge(submission=second, by=ddets_agent)
    second.refresh_from_db()
    assert second.status == "recu" and second.reviewed_by == ddets_agent
    # Received: no new version until the DDETS returns it.
    with pytest.raises(ValidationError, match="déjà accusé réception"):
        submitted(funded, head)
    with pytest.raises(ValidationError, match="ne peut plus être reçu"):
        services.acknowledge(submission=second, by=ddets_agent)
    assert Submission.objects.count() == 2


def test_a_new_version_replaces_one_still_waiting(funded, head):
    first = submitted(funded, head)
    second = submitted(funded, head)
    first.refresh_from_db()
    assert first.status == SubmissionStatus.SUPERSEDED and second.number == 2
    assert Submission.objects.filter(status__in=["transmis", "recu"]).count() == 1


def test_what_was_submitted_never_changes(funded, head):
    submission = submitted(funded, head)
    with pytest.raises(Error), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(figures={"forged": 1})
    with pytest.raises(Error), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).delete()
    # Its review moves.
    Submission.objects.filter(pk=submission.pk).update(status="recu")


def test_a_returned_report_needs_its_comment_in_the_database(funded, head):
    submission = submitted(funded, head)
    with pytest.raises(Error), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(status="renvoye", comment="")


def test_a_funder_agent_joins_no_operator_and_a_member_becomes_no_agent(org_a, members_a, somme):
    from iml.services import member_invite

    agent_user = agent(somme).user
    with pytest.raises(ValidationError, match="agent d’un financeur"):
        member_invite(organisation=org_a, email=agent_user.email, first_name="", last_name="",
                      role="head", invited_by=None)  # fmt: skip
    member = members_a["head"].user
    with pytest.raises(ValidationError, match="équipe d’un opérateur"):
        services.agent_invite(institution=somme, email=member.email)
