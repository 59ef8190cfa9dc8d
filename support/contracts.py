"""Support contracts (contrat d'accompagnement individualisé): signature, renewals by
amendment, objectives; their selectors and the signed document (PDF).

The contract is signed while the household is present, normally in its first month, for six
months; it is renewed by amendments counted, like the sublease, from the household's entry:
beyond 18 months of stay an amendment needs a written justification and is flagged.
"""

from __future__ import annotations

import datetime
import itertools

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from households.models import Household, Person
from households.stays import RENEWAL, present_on, renew_by_amendment
from iml.codes import PersonRole, SupportDomain
from iml.models import Membership, User
from iml.pdf import html_to_pdf
from iml.permissions import SUPPORT_MANAGERS
from support.models import ObjectiveStatus, SupportAmendment, SupportContract, SupportObjective

INITIAL_TERM = relativedelta(months=6)
# Signed later than this after the entry, the contract page says so (alerts flag it too).
SIGNATURE_DELAY = relativedelta(months=1)
ONE_PER_HOUSEHOLD = "supportcontract_one_per_household"
ONE_PER_HOUSEHOLD_MESSAGE = next(
    c.violation_error_message
    for c in SupportContract._meta.constraints
    if c.name == ONE_PER_HOUSEHOLD
)
CLOSED_STATUSES = (ObjectiveStatus.ATTEINT, ObjectiveStatus.ABANDONNE)
TEXT_MAX = SupportObjective._meta.get_field("text").max_length


# --- Selectors ------------------------------------------------------------------------------


def days_after_entry(contract: SupportContract) -> int | None:
    """Days between the household's entry and the signature (``contract.household`` loaded)."""
    entry = contract.household.entry_date
    return None if entry is None else (contract.signed_on - entry).days


def signed_late(contract: SupportContract) -> bool:
    """Signed more than a month after the entry (allowed, but shown and flagged)."""
    entry = contract.household.entry_date
    return entry is not None and contract.signed_on > entry + SIGNATURE_DELAY


def support_referents():
    """Users who may be a contract's referent: active social workers and heads of the current
    organisation."""
    members = Membership.objects.active().filter(role__in=SUPPORT_MANAGERS)
    return User.objects.filter(memberships__in=members).order_by("last_name", "first_name")


def adult_names(contract: SupportContract) -> list[str]:
    """The adults of the household at the signature (those who sign): the reference person and
    the spouse, and anyone of 18 or more; the reference person first, then by age. If the
    dates of arrival say nobody was there yet, those who have not left before."""
    day = contract.signed_on
    persons = list(
        Person.objects.filter(household_id=contract.household_id).filter(
            Q(left_date__isnull=True) | Q(left_date__gt=day)
        )
    )
    adults = [
        p
        for p in persons
        if p.role in (PersonRole.REFERENT, PersonRole.CONJOINT) or p.age_at(day) >= 18
    ]
    present = [p for p in adults if p.joined_date is None or p.joined_date <= day]
    chosen = present or adults
    chosen.sort(key=lambda p: (p.role != PersonRole.REFERENT, p.birth_date, p.pk))
    return [f"{p.first_name} {p.last_name}" for p in chosen]


def objectives_by_domain(objectives: list[SupportObjective]) -> list[tuple[str, list]]:
    """``[(domain label, [objectives…]), …]`` in the order of the domains' list."""
    order = {value: index for index, value in enumerate(SupportDomain.values)}
    ordered = sorted(objectives, key=lambda o: (order.get(o.domain, 99), o.start_date, o.pk))
    return [
        (SupportDomain(domain).label, list(group))
        for domain, group in itertools.groupby(ordered, key=lambda o: o.domain)
    ]


def contract_document_context(contract: SupportContract) -> dict:
    """``contract`` loaded with its organisation, household and referent."""
    amendments = list(contract.amendments.order_by("number"))
    return {
        "organisation": contract.organisation,
        "contract": contract,
        "household": contract.household,
        "adults": adult_names(contract),
        "domains": objectives_by_domain(list(contract.objectives.all())),
        "amendments": amendments,
        "current_end": amendments[-1].new_end_date if amendments else contract.initial_end_date,
        "entry_date": contract.household.entry_date,
    }


def contract_pdf(contract: SupportContract) -> bytes:
    html = render_to_string("documents/support/contract.html", contract_document_context(contract))
    return html_to_pdf(html)


# --- Services -------------------------------------------------------------------------------


def _not_in_future(day: datetime.date, field: str, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"{what} ne peut pas être dans le futur."})


def _present_on(household: Household, day: datetime.date) -> bool:
    """Entered on or before ``day`` and not yet out (the exit date is the first day out)."""
    return present_on(household.entry_date, household.exit_date, day)


def _check_objective(domain: str, text: str) -> str:
    if domain not in SupportDomain.values:
        raise ValidationError({"domain": "Choisissez le domaine de l’objectif dans la liste."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Décrivez l’objectif."})
    if len(text) > TEXT_MAX:
        raise ValidationError({"text": f"Un objectif tient en {TEXT_MAX} caractères au plus."})
    return text


def _new_objective(
    contract: SupportContract, domain: str, text: str, start_date: datetime.date
) -> SupportObjective:
    objective = SupportObjective(
        organisation_id=contract.organisation_id,
        contract=contract,
        domain=domain,
        text=text,
        start_date=start_date,
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def support_contract_sign(
    *,
    household: Household,
    signed_on: datetime.date,
    referent: User,
    objectives: list[tuple[str, str]],
    by: User,
    notes: str = "",
) -> SupportContract:
    """Sign the household's contract, for six months, with its first objectives (domain,
    text), all set on the day of the signature."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _not_in_future(signed_on, "signed_on", "La date de signature")
    if not _present_on(household, signed_on):
        raise ValidationError(
            {
                "signed_on": "Le ménage n’est pas présent dans le dispositif à cette date "
                "(entrée le "
                + (f"{household.entry_date:%d/%m/%Y}" if household.entry_date else "— pas encore")
                + (f", sortie le {household.exit_date:%d/%m/%Y}" if household.exit_date else "")
                + ")."
            }
        )
    if SupportContract.objects.filter(household=household).exists():
        raise ValidationError(ONE_PER_HOUSEHOLD_MESSAGE)
    is_referent = (
        Membership.objects.active()
        .filter(organisation_id=household.organisation_id, user=referent, role__in=SUPPORT_MANAGERS)
        .exists()
    )
    if not is_referent:
        raise ValidationError(
            {
                "referent": "Le ou la référent·e doit être travailleur·se social·e ou chef·fe de "
                "service, membre actif de l’organisation."
            }
        )
    rows = [(domain, text) for domain, text in objectives if domain or text.strip()]
    if not rows:
        raise ValidationError("Fixez au moins un objectif (domaine et description).")
    checked = []
    for number, (domain, text) in enumerate(rows, start=1):
        try:
            checked.append((domain, _check_objective(domain, text)))
        except ValidationError as error:
            raise ValidationError(
                f"Objectif {number} : {' '.join(error.messages)}"
                if len(rows) > 1
                else " ".join(error.messages)
            ) from error
    contract = SupportContract(
        organisation_id=household.organisation_id,
        household=household,
        signed_on=signed_on,
        initial_end_date=signed_on + INITIAL_TERM,
        referent=referent,
        notes=notes.strip(),
        created_by=by,
    )
    contract.full_clean()
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as error:
        # Another transaction signed between our check and our insert.
        if ONE_PER_HOUSEHOLD in str(error):
            raise ValidationError(ONE_PER_HOUSEHOLD_MESSAGE) from error
        raise
    for domain, text in checked:
        _new_objective(contract, domain, text, signed_on)
    return contract


@transaction.atomic
def support_contract_renew(
    *,
    contract: SupportContract,
    signed_on: datetime.date,
    by: User,
    months: int = RENEWAL,
    justification: str = "",
) -> SupportAmendment:
    """Renew by an amendment. The stay is counted from the household's entry: beyond 18
    months the amendment needs a written justification, and is flagged."""
    contract = (
        SupportContract.objects.select_for_update().select_related("household").get(pk=contract.pk)
    )
    household = contract.household
    if household.exit_date is not None:
        raise ValidationError(
            "Le ménage est sorti du dispositif : le contrat d’accompagnement ne peut plus être "
            "renouvelé."
        )
    _not_in_future(signed_on, "signed_on", "La date de l’avenant")
    amendment = renew_by_amendment(
        contract,
        amendment_model=SupportAmendment,
        signed_on=signed_on,
        starts_on=contract.signed_on,
        entry=household.entry_date or contract.signed_on,
        months=months,
        justification=justification,
        beyond_message="L’accompagnement dépasserait 18 mois de séjour : une justification "
        "écrite est obligatoire.",
        by=by,
    )
    return amendment


@transaction.atomic
def objective_add(
    *,
    contract: SupportContract,
    domain: str,
    text: str,
    start_date: datetime.date,
    by: User,
) -> SupportObjective:
    """A new objective, set during the stay (on or after the signature)."""
    contract = (
        SupportContract.objects.select_for_update().select_related("household").get(pk=contract.pk)
    )
    text = _check_objective(domain, text)
    _not_in_future(start_date, "start_date", "La date de l’objectif")
    if start_date < contract.signed_on:
        raise ValidationError(
            {"start_date": "Un objectif ne peut précéder la signature du contrat."}
        )
    exit_date = contract.household.exit_date
    if exit_date is not None and start_date >= exit_date:
        raise ValidationError(
            {"start_date": f"Le ménage est sorti le {exit_date:%d/%m/%Y} : plus d’objectif après."}
        )
    return _new_objective(contract, domain, text, start_date)


def _lock_objective(objective: SupportObjective) -> SupportObjective:
    return SupportObjective.objects.select_for_update().get(pk=objective.pk)


@transaction.atomic
def objective_close(
    *, objective: SupportObjective, status: str, closed_on: datetime.date, by: User
) -> SupportObjective:
    """The objective is reached (atteint) or given up (abandonné) on ``closed_on``."""
    objective = _lock_objective(objective)
    if status not in CLOSED_STATUSES:
        raise ValidationError({"status": "Un objectif se clôt atteint ou abandonné."})
    if objective.status != ObjectiveStatus.EN_COURS:
        raise ValidationError(
            f"Cet objectif est déjà clos ({objective.get_status_display()} le "
            f"{objective.closed_on:%d/%m/%Y})."
        )
    _not_in_future(closed_on, "closed_on", "La date de clôture")
    if closed_on < objective.start_date:
        raise ValidationError(
            {
                "closed_on": "La clôture ne peut précéder la date de l’objectif "
                f"({objective.start_date:%d/%m/%Y})."
            }
        )
    objective.status = status
    objective.closed_on = closed_on
    objective.full_clean()
    objective.save(update_fields=["status", "closed_on"])
    return objective


@transaction.atomic
def objective_reopen(*, objective: SupportObjective, by: User) -> SupportObjective:
    """Back to « en cours » (a closure recorded by mistake, or resumed work)."""
    objective = _lock_objective(objective)
    if objective.status == ObjectiveStatus.EN_COURS:
        raise ValidationError("Cet objectif est déjà en cours.")
    objective.status = ObjectiveStatus.EN_COURS
    objective.closed_on = None
    objective.full_clean()
    objective.save(update_fields=["status", "closed_on"])
    return objective
