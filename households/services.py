"""State changes of a household, each checked and traced (``HouseholdEvent``).

orient → (withdraw | admit) → exit; persons join and leave while the household is present.
Each service runs in a transaction and may be nested in a larger one: the tenancy app's
admission (space + sublease contract) calls ``household_admit`` inside its own transaction, so
that the household is admitted if and only if its contract is created.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from households.models import (
    EmploymentRecord,
    EventKind,
    Household,
    HouseholdEvent,
    HouseholdStatus,
    Person,
    ResourceRecord,
)
from iml.codes import (
    BAIL_GLISSANT_DESTINATIONS,
    ExitDestination,
    PersonRole,
    Resource,
    WithdrawalReason,
)
from iml.models import Dispositif, Role, User

if TYPE_CHECKING:
    from django.db.models import Field


@dataclass(frozen=True)
class PersonData:
    last_name: str
    first_name: str
    sex: str
    birth_date: datetime.date
    role: str
    nationality: str = ""
    protection_status: str = ""


def _not_in_future(day: datetime.date, field: str, label: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"La date {label} ne peut pas être dans le futur."})


def _trace(
    household: Household,
    kind: EventKind,
    day: datetime.date,
    summary: str,
    by: User | None,
    person: Person | None = None,
) -> HouseholdEvent:
    event: HouseholdEvent = HouseholdEvent.objects.create(
        organisation_id=household.organisation_id,
        household=household,
        kind=kind,
        date=day,
        summary=summary[:300],
        person=person,
        recorded_by=by,
    )
    return event


def _lock(household: Household) -> Household:
    """Re-read the household under a row lock: two concurrent changes cannot both pass."""
    return Household.objects.select_for_update().get(pk=household.pk)


def _require_status(household: Household, allowed: Iterable[HouseholdStatus], action: str) -> None:
    if household.status not in allowed:
        raise ValidationError(
            f"Impossible de {action} : le ménage est « {household.get_status_display()} »."
        )


def _new_person(
    household: Household, data: PersonData, joined_date: datetime.date | None = None
) -> Person:
    person = Person(
        organisation_id=household.organisation_id,
        household=household,
        last_name=data.last_name.strip(),
        first_name=data.first_name.strip(),
        sex=data.sex,
        birth_date=data.birth_date,
        role=data.role,
        nationality=data.nationality,
        protection_status=data.protection_status,
        joined_date=joined_date,
    )
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def household_orient(
    *,
    dispositif: Dispositif,
    reference: str,
    orientation_date: datetime.date,
    reference_person: PersonData,
    by: User,
    siao_reference: str = "",
    orienting_structure: str = "",
    prior_situation: str = "",
    reinforced_support: bool = False,
    referent: User | None = None,
    others: Sequence[PersonData] = (),
) -> Household:
    """Record an orientation validated by the SIAO commission: the household waits.

    ``others`` are the other members known at orientation (more can be added later).
    """
    _not_in_future(orientation_date, "orientation_date", "d’orientation")
    if reference_person.role != PersonRole.REFERENT:
        raise ValidationError("La première personne est la personne de référence.")
    household = Household(
        organisation_id=dispositif.organisation_id,
        dispositif=dispositif,
        reference=reference.strip(),
        siao_reference=siao_reference.strip(),
        orientation_date=orientation_date,
        orienting_structure=orienting_structure.strip(),
        prior_situation=prior_situation,
        reinforced_support=reinforced_support,
        referent=referent,
    )
    household.full_clean()
    household.save()
    person = _new_person(household, reference_person)
    _trace(
        household,
        EventKind.ORIENTED,
        orientation_date,
        f"Orienté vers {dispositif.name}"
        + (f" par {household.orienting_structure}" if household.orienting_structure else ""),
        by,
        person,
    )
    for data in others:
        if data.role == PersonRole.REFERENT:
            raise ValidationError("Le ménage a déjà une personne de référence.")
        other = _new_person(household, data)
        _trace(
            household,
            EventKind.PERSON_ADDED,
            orientation_date,
            f"{other} ({other.get_role_display()})",
            by,
            other,
        )
    return household


@transaction.atomic
def household_update(*, household: Household, by: User, **fields: Any) -> Household:
    """Correct the household's descriptive information (not its state: see the services)."""
    editable = {
        "reference",
        "siao_reference",
        "caf_number",
        "orienting_structure",
        "prior_situation",
        "reinforced_support",
        "referent",
        "orientation_date",
        "dispositif",
    }
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    household = _lock(household)
    changed = [name for name, value in fields.items() if getattr(household, name) != value]
    for name in changed:
        setattr(household, name, fields[name])
    if not changed:
        return household
    household.full_clean()
    household.save()
    labels = ", ".join(
        # The editable names are concrete fields (not reverse relations): each has a label.
        str(cast("Field[Any, Any]", Household._meta.get_field(name)).verbose_name)
        for name in changed
    )
    _trace(household, EventKind.UPDATED, timezone.localdate(), f"Modifié : {labels}", by)
    return household


@transaction.atomic
def household_withdraw(
    *, household: Household, withdrawal_date: datetime.date, reason: str, by: User
) -> Household:
    household = _lock(household)
    _require_status(household, [HouseholdStatus.ORIENTED], "retirer de la liste d’attente")
    _not_in_future(withdrawal_date, "withdrawal_date", "de retrait")
    if household.orientation_date and withdrawal_date < household.orientation_date:
        raise ValidationError({"withdrawal_date": "Le retrait ne peut pas précéder l’orientation."})
    if reason not in WithdrawalReason.values:
        raise ValidationError({"reason": "Motif de retrait inconnu."})
    household.withdrawal_date = withdrawal_date
    household.withdrawal_reason = reason
    household.full_clean()
    household.save(update_fields=["withdrawal_date", "withdrawal_reason", "updated_at"])
    _trace(
        household,
        EventKind.WITHDRAWN,
        withdrawal_date,
        f"Retiré : {WithdrawalReason(reason).label}",
        by,
    )
    return household


@transaction.atomic
def household_admit(*, household: Household, entry_date: datetime.date, by: User) -> Household:
    """The household enters its home. The tenancy app wraps this with the space and contract."""
    household = _lock(household)
    _require_status(household, [HouseholdStatus.ORIENTED], "admettre ce ménage")
    _not_in_future(entry_date, "entry_date", "d’entrée")
    if household.orientation_date and entry_date < household.orientation_date:
        raise ValidationError({"entry_date": "L’entrée ne peut pas précéder l’orientation."})
    if not household.persons.exists():
        raise ValidationError("Le ménage n’a aucune personne : complétez sa composition.")
    household.entry_date = entry_date
    household.full_clean()
    household.save(update_fields=["entry_date", "updated_at"])
    _trace(household, EventKind.ADMITTED, entry_date, "Entrée dans le dispositif", by)
    return household


@transaction.atomic
def person_add(
    *,
    household: Household,
    data: PersonData,
    by: User,
    joined_date: datetime.date | None = None,
) -> Person:
    """Add a person: to the composition while waiting, or arriving during the stay."""
    household = _lock(household)
    _require_status(
        household, [HouseholdStatus.ORIENTED, HouseholdStatus.PRESENT], "ajouter une personne"
    )
    if data.role == PersonRole.REFERENT and household.persons.filter(role=data.role).exists():
        raise ValidationError({"role": "Le ménage a déjà une personne de référence."})
    if household.status == HouseholdStatus.PRESENT:
        if joined_date is None:
            raise ValidationError(
                {"joined_date": "Le ménage est présent : indiquez la date d’arrivée."}
            )
        _not_in_future(joined_date, "joined_date", "d’arrivée")
        # Present: the household has entered (its entry date is set).
        if joined_date < cast(datetime.date, household.entry_date):
            raise ValidationError(
                {"joined_date": "L’arrivée ne peut pas précéder l’entrée du ménage."}
            )
        if joined_date < data.birth_date:
            raise ValidationError({"joined_date": "L’arrivée ne peut pas précéder la naissance."})
        if joined_date == household.entry_date:
            joined_date = None  # arriving with the household: the default, not an arrival
    else:
        joined_date = None  # the composition before entry: arrives with the household
    person = _new_person(household, data, joined_date)
    if joined_date is None:
        kind, day = EventKind.PERSON_ADDED, household.entry_date or timezone.localdate()
    else:
        kind, day = EventKind.PERSON_JOINED, joined_date
    _trace(household, kind, day, f"{person} ({person.get_role_display()})", by, person)
    return person


@transaction.atomic
def person_update(*, person: Person, data: PersonData, by: User) -> Person:
    """Correct a person's identity (not their dates: see join and leave)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if (
        data.role == PersonRole.REFERENT
        and person.role != PersonRole.REFERENT
        and Person.objects.filter(household_id=person.household_id, role=data.role).exists()
    ):
        raise ValidationError({"role": "Le ménage a déjà une personne de référence."})
    for name, value in data.__dict__.items():
        setattr(person, name, value.strip() if isinstance(value, str) else value)
    person.full_clean()
    person.save()
    _trace(
        person.household,
        EventKind.UPDATED,
        timezone.localdate(),
        f"Identité modifiée : {person}",
        by,
        person,
    )
    return person


@transaction.atomic
def person_leave(*, person: Person, left_date: datetime.date, by: User) -> Person:
    """A person leaves the household during the stay (the others stay)."""
    household = _lock(person.household)
    person = Person.objects.select_for_update().get(pk=person.pk)
    _require_status(household, [HouseholdStatus.PRESENT], "enregistrer un départ")
    if person.left_date is not None:
        raise ValidationError("Le départ de cette personne est déjà enregistré.")
    _not_in_future(left_date, "left_date", "de départ")
    # Present: the household has entered (its entry date is set).
    arrived = person.joined_date or cast(datetime.date, household.entry_date)
    if left_date <= arrived:
        raise ValidationError(
            {"left_date": f"Le départ doit suivre l’arrivée ({arrived:%d/%m/%Y})."}
        )
    still_here = Person.objects.filter(household=household, left_date__isnull=True).exclude(
        pk=person.pk
    )
    if not still_here.exists():
        raise ValidationError(
            "C’est la dernière personne du ménage : enregistrez la sortie du ménage."
        )
    person.left_date = left_date
    person.full_clean()
    person.save(update_fields=["left_date"])
    _trace(household, EventKind.PERSON_LEFT, left_date, f"Départ de {person}", by, person)
    return person


@transaction.atomic
def household_exit(
    *,
    household: Household,
    exit_date: datetime.date,
    destination: str,
    by: User,
    bail_glissant: bool = False,
    exit_support: Iterable[str] = (),
) -> Household:
    """The household leaves the dispositif (first day out). A household exits once."""
    household = _lock(household)
    if household.status == HouseholdStatus.EXITED:
        raise ValidationError("La sortie de ce ménage est déjà enregistrée.")
    _require_status(household, [HouseholdStatus.PRESENT], "enregistrer la sortie")
    _not_in_future(exit_date, "exit_date", "de sortie")
    # Present: the household has entered (its entry date is set).
    if exit_date < cast(datetime.date, household.entry_date):
        raise ValidationError({"exit_date": "La sortie ne peut pas précéder l’entrée."})
    # Empty: the household left without saying where (« inconnu » in the report, a gap).
    if destination and destination not in ExitDestination.values:
        raise ValidationError({"destination": "Destination inconnue."})
    if bail_glissant and destination not in BAIL_GLISSANT_DESTINATIONS:
        raise ValidationError(
            {
                "bail_glissant": "Un bail glissant mène à un logement autonome "
                "(bailleur social ou privé)."
            }
        )
    late = household.persons.filter(joined_date__gt=exit_date)
    if late.exists():
        raise ValidationError(
            {"exit_date": "Une personne est arrivée après cette date : vérifiez la date."}
        )
    household.exit_date = exit_date
    household.planned_exit_date = None  # the planned exit happened (or another one)
    household.exit_destination = destination
    household.bail_glissant = bail_glissant
    household.exit_support = sorted(set(exit_support))
    household.full_clean()
    household.save(
        update_fields=[
            "exit_date",
            "planned_exit_date",
            "exit_destination",
            "bail_glissant",
            "exit_support",
            "updated_at",
        ]
    )
    label = ExitDestination(destination).label if destination else "destination inconnue"
    summary = f"Sortie : {label}"
    if bail_glissant:
        summary += " (bail glissant)"
    _trace(household, EventKind.EXITED, exit_date, summary, by)
    return household


def resources_compatible(codes: Collection[str]) -> bool:
    """Whether these resources go together: « aucune » (sans ressources) goes alone."""
    return not (Resource.AUCUNE in codes and len(codes) > 1)


# The most a monthly resource can plausibly be, in euros.
MONTHLY_AMOUNT_MAX = Decimal("20000")


@transaction.atomic
def resources_record(
    *,
    household: Household,
    day: datetime.date,
    resources: Iterable[str],
    by: User,
    monthly_amounts: dict[str, Decimal] | None = None,
) -> ResourceRecord:
    codes = sorted(set(resources))
    amounts = {code: amount for code, amount in (monthly_amounts or {}).items()
               if amount is not None}  # fmt: skip
    if set(amounts) - set(codes):
        raise ValidationError("Un montant est indiqué pour une ressource non cochée.")
    if any(not Decimal("0") <= amount <= MONTHLY_AMOUNT_MAX for amount in amounts.values()):
        raise ValidationError(
            f"Un montant mensuel est entre 0 et {MONTHLY_AMOUNT_MAX:,.0f} €.".replace(",", " ")
        )
    if not codes:
        raise ValidationError({"resources": "Indiquez au moins une ressource."})
    if not resources_compatible(codes):
        raise ValidationError(
            {"resources": "« Sans ressources » ne se combine avec aucune autre ressource."}
        )
    _not_in_future(day, "date", "des ressources")
    record = ResourceRecord(
        organisation_id=household.organisation_id,
        household=household,
        date=day,
        resources=codes,
        monthly_amounts={code: f"{amount:.2f}" for code, amount in sorted(amounts.items())},
        recorded_by=by,
    )
    record.full_clean()
    record.save()
    labels = ", ".join(Resource(code).label for code in codes)
    _trace(household, EventKind.RESOURCES, day, f"Ressources : {labels}", by)
    return record


@transaction.atomic
def employment_record(
    *, person: Person, day: datetime.date, employment: str, by: User
) -> EmploymentRecord:
    if not person.is_adult_role:
        raise ValidationError("La situation d’emploi concerne les adultes du ménage.")
    _not_in_future(day, "date", "de la situation")
    record = EmploymentRecord(
        organisation_id=person.organisation_id,
        person=person,
        date=day,
        employment=employment,
        recorded_by=by,
    )
    record.full_clean()
    record.save()
    _trace(
        person.household,
        EventKind.EMPLOYMENT,
        day,
        f"{person} : {record.get_employment_display()}",
        by,
        person,
    )
    return record


# --- Corrections: a state change recorded by mistake, undone --------------------------------

CANCEL_ROLES = (Role.HEAD,)


def may_cancel(household: Household, kind: EventKind, user: User, role: str) -> bool:
    """A head, or whoever recorded the change (its latest trace), may cancel it."""
    if role in CANCEL_ROLES:
        return True
    latest = household.events.filter(kind=kind).order_by("-recorded_at", "-pk").first()
    return latest is not None and latest.recorded_by_id == user.pk


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez pourquoi vous annulez : la raison est gardée."})
    return reason


@transaction.atomic
def household_exit_cancel(*, household: Household, reason: str, by: User) -> Household:
    """The exit was recorded by mistake: the household is present again (the tenancy app
    reopens its contracts, ``tenancy.services.exit_cancel``). The exit stays in the trace."""
    reason = _reason(reason)
    household = _lock(household)
    _require_status(household, [HouseholdStatus.EXITED], "annuler la sortie")
    if household.anonymised_at:
        raise ValidationError("Ce ménage est anonymisé : sa sortie ne peut plus être annulée.")
    exit_date = cast(datetime.date, household.exit_date)
    household.exit_date = None
    household.exit_destination = ""
    household.bail_glissant = False
    household.exit_support = []
    household.full_clean()
    household.save(
        update_fields=["exit_date", "exit_destination", "bail_glissant", "exit_support",
                       "updated_at"]
    )  # fmt: skip
    _trace(household, EventKind.EXIT_CANCELLED, timezone.localdate(),
           f"Sortie du {exit_date:%d/%m/%Y} annulée : {reason}", by)  # fmt: skip
    return household


@transaction.atomic
def household_admission_cancel(*, household: Household, reason: str, by: User) -> Household:
    """The entry was recorded by mistake: the household is back on the waiting list (the
    tenancy app voids its contracts first, ``tenancy.services.admission_cancel``). Refused
    once the stay has been built on: a person arrived or left since."""
    reason = _reason(reason)
    household = _lock(household)
    _require_status(household, [HouseholdStatus.PRESENT], "annuler l’entrée")
    if household.anonymised_at:
        raise ValidationError("Ce ménage est anonymisé : son entrée ne peut plus être annulée.")
    if household.persons.filter(Q(joined_date__isnull=False) | Q(left_date__isnull=False)).exists():
        raise ValidationError(
            "Une arrivée ou un départ de personne est enregistré depuis l’entrée : l’entrée ne "
            "peut plus être annulée."
        )
    entry_date = cast(datetime.date, household.entry_date)
    household.entry_date = None
    household.planned_exit_date = None
    household.full_clean()
    household.save(update_fields=["entry_date", "planned_exit_date", "updated_at"])
    _trace(household, EventKind.ADMISSION_CANCELLED, timezone.localdate(),
           f"Entrée du {entry_date:%d/%m/%Y} annulée : {reason}", by)  # fmt: skip
    return household


@transaction.atomic
def household_withdraw_cancel(*, household: Household, reason: str, by: User) -> Household:
    """The withdrawal was recorded by mistake: the household is back on the waiting list."""
    reason = _reason(reason)
    household = _lock(household)
    _require_status(household, [HouseholdStatus.WITHDRAWN], "annuler le retrait")
    if household.anonymised_at:
        raise ValidationError("Ce ménage est anonymisé : son retrait ne peut plus être annulé.")
    withdrawal_date = cast(datetime.date, household.withdrawal_date)
    household.withdrawal_date = None
    household.withdrawal_reason = ""
    household.full_clean()
    household.save(update_fields=["withdrawal_date", "withdrawal_reason", "updated_at"])
    _trace(household, EventKind.WITHDRAWAL_CANCELLED, timezone.localdate(),
           f"Retrait du {withdrawal_date:%d/%m/%Y} annulé : {reason}", by)  # fmt: skip
    return household


@transaction.atomic
def household_plan_exit(
    *, household: Household, planned_date: datetime.date | None, by: User
) -> Household:
    """A present household's exit planned for a later day (None: no longer planned). The exit
    is recorded on the day, with its destination."""
    household = _lock(household)
    _require_status(household, [HouseholdStatus.PRESENT], "prévoir la sortie")
    if planned_date is not None and planned_date <= timezone.localdate():
        raise ValidationError(
            {"exit_date": "Une sortie prévue est à une date future ; aujourd’hui ou avant, "
                          "enregistrez la sortie."}
        )  # fmt: skip
    if planned_date == household.planned_exit_date:
        return household
    previous = household.planned_exit_date
    household.planned_exit_date = planned_date
    household.full_clean()
    household.save(update_fields=["planned_exit_date", "updated_at"])
    summary = (
        f"Sortie prévue le {planned_date:%d/%m/%Y}"
        if planned_date
        else f"Sortie prévue le {previous:%d/%m/%Y} annulée"
    )
    _trace(household, EventKind.EXIT_PLANNED, timezone.localdate(), summary, by)
    return household
