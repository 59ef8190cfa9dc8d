"""Use cases of the funder's side: an operator's head submits a frozen report version to its
DDETS; the DDETS acknowledges it or returns it with a comment; the platform's staff invite
the funders' agents. Each in one transaction, checked first, French messages."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from funders import registry
from funders.models import Submission, SubmissionStatus
from iml.models import (
    Dispositif,
    FunderAgent,
    Institution,
    Membership,
    User,
    normalize_email,
)
from iml.rls import user_context
from iml.validators import check_text
from reporting.definitions import ReportScope
from reporting.funder_block import funder_figures
from reporting.models import ReportVersion
from reporting.services import figures_for, previous_period

# --- Submission (the operator's side) ---------------------------------------------------------


def _name(user: User) -> str:
    return user.get_full_name() or user.email


def check_can_submit(
    dispositif: Dispositif, start: datetime.date, end: datetime.date
) -> Institution:
    """The DDETS that takes ``dispositif``'s report of ``[start, end]``; refused in French
    when it names none (or an inactive one), or when the DDETS has received that period's
    report (it must return it first). ``submit_report`` asks before building a version."""
    ddets = dispositif.ddets if dispositif.ddets_id is not None else None
    if ddets is None or not ddets.is_active:
        raise ValidationError(
            f"Le dispositif {dispositif.code} ne désigne pas de DDETS financeuse : "
            "l’administrateur la choisit dans la fiche du dispositif."
        )
    received = Submission.objects.filter(
        dispositif_public_id=dispositif.public_id,
        start=start,
        end=end,
        status=SubmissionStatus.ACKNOWLEDGED,
    )
    if received.exists():
        raise ValidationError(
            "La DDETS a déjà accusé réception du rapport de cette période : demandez-lui de "
            "vous le renvoyer pour pouvoir en transmettre une version corrigée."
        )
    return ddets


@transaction.atomic
def submit(*, version: ReportVersion, by: User, base_url: str | None = None) -> Submission:
    """Copy a ready version of a dispositif's report to its DDETS (figures, funder's block,
    narrative, PDF, XLSX: no personal data). Refused when the dispositif names no DDETS, when
    the version is not ready or was built before the funder's block existed, when this very
    version was already submitted, or when the DDETS has received the period's report (it
    must return it first). A report still waiting for the DDETS is replaced by the new one.
    The DDETS's agents are told by e-mail (``base_url``: where its link points)."""
    if not version.is_ready or version.pdf is None or version.xlsx is None:
        raise ValidationError("Seule une version prête du rapport peut être transmise.")
    if version.funder_figures is None:
        raise ValidationError(
            "Cette version a été produite avant la transmission aux financeurs : générez une "
            "nouvelle version du rapport, puis transmettez-la."
        )
    # One submission at a time per dispositif (two heads clicking together).
    dispositif = (
        Dispositif.objects.select_for_update(of=("self",))
        .select_related("ddets", "organisation")
        .get(pk=version.dispositif_id)
    )
    ddets = check_can_submit(dispositif, version.start, version.end)
    if Submission.objects.filter(source_version=version.public_id).exists():
        raise ValidationError("Cette version du rapport a déjà été transmise.")
    period = Submission.objects.filter(
        dispositif_public_id=dispositif.public_id, start=version.start, end=version.end
    )
    period.filter(status=SubmissionStatus.SUBMITTED).update(status=SubmissionStatus.SUPERSEDED)
    number = (period.aggregate(last=Max("number"))["last"] or 0) + 1
    # N-1 from the operator's data now (the report page's comparison), frozen with the copy.
    before = previous_period(version.start, version.end)
    previous = {
        "period": {"start": before[0].isoformat(), "end": before[1].isoformat()},
        "figures": figures_for(dispositif, *before),
        "funder_figures": funder_figures(ReportScope(dispositif, *before)),
    }
    funded = registry.sync(dispositif)
    assert funded is not None
    organisation = dispositif.organisation
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                institution=ddets,
                organisation=organisation,
                organisation_slug=organisation.slug,
                organisation_name=organisation.name,
                dispositif_public_id=dispositif.public_id,
                dispositif_code=dispositif.code,
                dispositif_name=dispositif.name,
                category=dispositif.category,
                zone=dispositif.zone,
                places=dispositif.places,
                departement=funded.departement,
                region=funded.region,
                start=version.start,
                end=version.end,
                year=version.end.year,
                number=number,
                source_version=version.public_id,
                figures=version.figures,
                funder_figures=version.funder_figures,
                narrative=version.narrative,
                previous=previous,
                pdf=bytes(version.pdf),
                xlsx=bytes(version.xlsx),
                submitted_by=by,
                submitted_by_name=_name(by),
            )
    except IntegrityError as error:  # the same version, posted twice at the same instant
        raise ValidationError("Cette version du rapport a déjà été transmise.") from error
    from funders.tasks import notify_submission

    notify_submission.delay_on_commit(submission.pk, base_url)
    return submission


def submissions_of(organisation_id: int) -> QuerySet[Submission]:
    """The organisation's own submissions (the funder's tables have no row-level security:
    the filter on the organisation is this one, always)."""
    return Submission.objects.filter(organisation_id=organisation_id)


# --- Review (the DDETS's side) ----------------------------------------------------------------


def _locked(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().get(pk=submission.pk)


def _record_review(
    submission: Submission,
    *,
    by: User,
    status: SubmissionStatus,
    comment: str | None,
    base_url: str | None,
) -> Submission:
    """Write the DDETS's decision (who, when, what) and tell the head who submitted it."""
    submission.status = status
    submission.reviewed_by, submission.reviewed_by_name = by, _name(by)
    submission.reviewed_at = timezone.now()
    fields = ["status", "reviewed_by", "reviewed_by_name", "reviewed_at"]
    if comment is not None:
        submission.comment = comment
        fields.append("comment")
    submission.save(update_fields=fields)
    from funders.tasks import notify_review

    notify_review.delay_on_commit(submission.pk, base_url)
    return submission


@transaction.atomic
def acknowledge(*, submission: Submission, by: User, base_url: str | None = None) -> Submission:
    submission = _locked(submission)
    if submission.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(
            f"Ce rapport ne peut plus être reçu : il est « {submission.get_status_display()} »."
        )
    return _record_review(
        submission, by=by, status=SubmissionStatus.ACKNOWLEDGED, comment=None, base_url=base_url
    )


@transaction.atomic
def send_back(
    *, submission: Submission, by: User, comment: str, base_url: str | None = None
) -> Submission:
    """Return the report to the operator with what to correct (required); received reports
    may be returned too (an error found later)."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Dites à l’opérateur ce qu’il doit corriger."})
    try:
        check_text(comment, multiline=True)
    except ValidationError as error:
        raise ValidationError({"comment": error.messages}) from error
    submission = _locked(submission)
    if submission.status not in (SubmissionStatus.SUBMITTED, SubmissionStatus.ACKNOWLEDGED):
        raise ValidationError(
            f"Ce rapport ne peut pas être renvoyé : il est « {submission.get_status_display()} »."
        )
    return _record_review(
        submission, by=by, status=SubmissionStatus.RETURNED, comment=comment, base_url=base_url
    )


# --- Agents (the platform's staff) -------------------------------------------------------------


def _is_member(user: User) -> bool:
    # Row-level security shows a user's memberships only as that user (``iml.rls``).
    with user_context(user.pk):
        return bool(Membership.all_organisations.filter(user=user).exists())


@transaction.atomic
def agent_invite(
    *, institution: Institution, email: str, first_name: str = "", last_name: str = ""
) -> FunderAgent:
    """Give a person access to a funder's pages: a new account (they choose their password
    from the e-mailed link, then set up the second factor), or an existing one that belongs
    to no operator's team."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
        user.set_unusable_password()
        user.full_clean()
        user.save()
    elif _is_member(user):
        raise ValidationError(
            "Cette personne fait partie de l’équipe d’un opérateur : un agent d’un financeur "
            "n’est membre d’aucun opérateur (utilisez une autre adresse)."
        )
    agent = FunderAgent.objects.filter(user=user).first()
    if agent is not None and agent.institution_id != institution.pk and agent.is_active:
        raise ValidationError(f"Cette personne est déjà agent de {agent.institution}.")
    agent = agent or FunderAgent(user=user, institution=institution)
    agent.institution, agent.is_active = institution, True
    agent.full_clean()
    agent.save()
    from funders.tasks import send_agent_invitation

    send_agent_invitation.delay_on_commit(agent.pk)
    return agent
