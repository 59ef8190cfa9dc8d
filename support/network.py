"""The support network: the partners directory, referrals of households to partners, and
collective workshops. Services (every write) and selectors (the reads that need more than a
filter).

Services are keyword-only, run in a transaction, and raise a French ``ValidationError`` (keyed
by the form field it concerns) without writing anything when a rule is broken. Every object
they are given must belong to the current organisation: a form only offers those, and the
services check again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from households.models import Household, Person, q_present_at
from iml.formats import fr_date as _d
from iml.models import Membership, Role, User
from iml.scoping import get_current_organisation_id
from support.models import (
    Partner,
    Referral,
    ReferralOutcome,
    Workshop,
)

# Who may run a workshop: the organisation's field staff (not its administrators).
FACILITATOR_ROLES = (Role.SOCIAL_WORKER, Role.HEAD, Role.REGISSEUR)
CLOSED_OUTCOMES = (ReferralOutcome.ABOUTIE, ReferralOutcome.SANS_SUITE)


# --- Selectors ------------------------------------------------------------------------------


def partner_choices() -> QuerySet[Partner]:
    """The partners a household can be referred to: the organisation's active ones."""
    return Partner.objects.filter(is_active=True).order_by("name")


def partners_for_list(*, kind: str = "", text: str = "") -> QuerySet[Partner]:
    """The directory: active partners first, then by name, with their number of referrals."""
    partners = Partner.objects.annotate(referral_count=Count("referrals"))
    if kind:
        partners = partners.filter(kind=kind)
    text = text.strip()
    if text:
        partners = partners.filter(Q(name__icontains=text) | Q(contact_name__icontains=text))
    return partners.order_by("-is_active", "name", "pk")


def partner_referrals(partner: Partner) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(partner=partner)
        .select_related("household")
        .order_by("-date", "-pk")
    )


def household_referrals(household: Household) -> QuerySet[Referral]:
    """A household's referrals, newest first, for its page."""
    return (
        Referral.objects.filter(household=household)
        .select_related("partner")
        .order_by("-date", "-pk")
    )


def facilitator_choices() -> QuerySet[User]:
    """Who may run a workshop: active members of the organisation in the field roles."""
    members = Membership.objects.active().filter(role__in=FACILITATOR_ROLES, user=OuterRef("pk"))
    return User.objects.filter(Exists(members)).order_by("last_name", "first_name", "pk")


def participant_choices(day: datetime.date) -> QuerySet[Person]:
    """Persons present on ``day`` in a household of the organisation: the household has
    entered and not yet exited, and the person has arrived and not left."""
    return (
        Person.objects.present_at(day)
        .filter(q_present_at(day, prefix="household__"))
        .select_related("household")
        .order_by("household__reference", "household_id", "birth_date", "pk")
    )


def workshops_for_list() -> QuerySet[Workshop]:
    """Workshops, newest first, with their number of participants and of households."""
    return (
        Workshop.objects.annotate(
            participant_count=Count("participants", distinct=True),
            household_count=Count("participants__household", distinct=True),
        )
        .prefetch_related("facilitators")
        .order_by("-date", "-pk")
    )


def workshop_participants_by_household(
    workshop: Workshop,
) -> list[tuple[Household, list[Person]]]:
    """The workshop's participants grouped by household (households by reference)."""
    groups: dict[int, tuple[Household, list[Person]]] = {}
    persons = (
        workshop.participants.select_related("household")
        .order_by("household__reference", "household_id", "birth_date", "pk")
        .all()
    )
    for person in persons:
        groups.setdefault(person.household_id, (person.household, []))[1].append(person)
    return list(groups.values())


# --- Partners -------------------------------------------------------------------------------


def _check_partner_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Indiquez le nom du partenaire."})
    same = Partner.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError({"name": "Un partenaire porte déjà ce nom."})
    return name


@transaction.atomic
def partner_create(
    *,
    name: str,
    kind: str,
    contact_name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    notes: str = "",
    is_active: bool = True,
) -> Partner:
    """Add a partner to the directory (its name is unique in the organisation, whatever the
    case)."""
    partner = Partner(
        organisation_id=get_current_organisation_id(),
        name=_check_partner_name(name),
        kind=kind,
        contact_name=contact_name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
        notes=notes.strip(),
        is_active=is_active,
    )
    partner.full_clean()
    partner.save()
    return partner


@transaction.atomic
def partner_update(
    *,
    partner: Partner,
    name: str,
    kind: str,
    contact_name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    notes: str = "",
    is_active: bool = True,
) -> Partner:
    """Change a partner's card. An inactive partner keeps its referrals but is no longer
    offered for new ones."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    partner.name = _check_partner_name(name, exclude_pk=partner.pk)
    partner.kind = kind
    partner.contact_name = contact_name.strip()
    partner.phone = phone.strip()
    partner.email = email.strip()
    partner.address = address.strip()
    partner.notes = notes.strip()
    partner.is_active = is_active
    partner.full_clean()
    partner.save()
    return partner


# --- Referrals ------------------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    household: Household,
    partner: Partner,
    date: datetime.date,
    domain: str,
    reason: str,
    by: User,
) -> Referral:
    """Refer a household to a partner. The referral waits for its outcome
    (``referral_close``)."""
    organisation_id = get_current_organisation_id()
    if household.organisation_id != organisation_id or partner.organisation_id != organisation_id:
        raise ValidationError("Ce ménage ou ce partenaire n’appartient pas à l’organisation.")
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if date > today:
        errors["date"] = "Une orientation ne peut pas être datée dans le futur."
    elif household.orientation_date and date < household.orientation_date:
        errors["date"] = (
            "Une orientation ne peut pas précéder l’orientation SIAO du ménage "
            f"({_d(household.orientation_date)})."
        )
    if not partner.is_active:
        errors["partner"] = (
            f"{partner.name} n’est plus un partenaire actif : réactivez-le dans l’annuaire ou "
            "choisissez-en un autre."
        )
    reason = " ".join(reason.split())
    if not reason:
        errors["reason"] = "Indiquez le motif de l’orientation."
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        organisation_id=organisation_id,
        household=household,
        partner=partner,
        date=date,
        domain=domain,
        reason=reason,
        created_by=by,
    )
    referral.full_clean(exclude=["created_by"])  # SET_NULL: may be gone
    referral.save()
    return referral


@transaction.atomic
def referral_close(
    *,
    referral: Referral,
    outcome: str,
    outcome_date: datetime.date,
    notes: str = "",
    by: User,
) -> Referral:
    """Record what came of a referral: it succeeded (aboutie) or came to nothing (sans suite).
    Recorded once; the history of the row keeps who did it."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.outcome != ReferralOutcome.EN_ATTENTE:
        raise ValidationError(
            f"Cette orientation a déjà une suite ({referral.get_outcome_display()}, le "
            f"{_d(referral.outcome_date)})."
        )
    errors: dict[str, str] = {}
    if outcome not in CLOSED_OUTCOMES:
        errors["outcome"] = "Choisissez « aboutie » ou « sans suite »."
    if outcome_date > timezone.localdate():
        errors["outcome_date"] = "La suite ne peut pas être datée dans le futur."
    elif outcome_date < referral.date:
        errors["outcome_date"] = (
            f"La suite ne peut pas précéder l’orientation (du {_d(referral.date)})."
        )
    if errors:
        raise ValidationError(errors)
    referral.outcome = outcome
    referral.outcome_date = outcome_date
    referral.outcome_notes = " ".join(notes.split())
    referral.full_clean(exclude=["created_by"])  # SET_NULL: may be gone
    referral.save(update_fields=["outcome", "outcome_date", "outcome_notes"])
    return referral


# --- Workshops ------------------------------------------------------------------------------


def _names(persons: Iterable[Person]) -> str:
    return ", ".join(sorted(str(person) for person in persons))


@transaction.atomic
def workshop_save(
    *,
    workshop: Workshop | None = None,
    date: datetime.date,
    title: str,
    theme: str,
    description: str = "",
    facilitators: Iterable[User],
    participants: Iterable[Person],
    by: User,
) -> Workshop:
    """Record a collective workshop (or correct one): who ran it, who took part.

    Facilitators are active members of the organisation (social worker, head, régisseur);
    participants are persons present in one of its households on the workshop's date.
    """
    organisation_id = get_current_organisation_id()
    facilitators = list({user.pk: user for user in facilitators}.values())
    participants = list({person.pk: person for person in participants}.values())
    errors: dict[str, str] = {}
    title = " ".join(title.split())
    if not title:
        errors["title"] = "Indiquez le titre de l’atelier."
    if not facilitators:
        errors["facilitators"] = "Indiquez au moins une personne qui anime l’atelier."
    else:
        allowed = set(
            facilitator_choices()
            .filter(pk__in=[user.pk for user in facilitators])
            .values_list("pk", flat=True)
        )
        refused = [user for user in facilitators if user.pk not in allowed]
        if refused:
            errors["facilitators"] = (
                "Seuls les membres actifs de l’équipe (travailleur·se social·e, chef·fe de "
                "service, régisseur·se) animent un atelier : "
                + ", ".join(sorted(str(user) for user in refused))
                + "."
            )
    outsiders = [person for person in participants if person.organisation_id != organisation_id]
    if outsiders:
        errors["participants"] = "Ces personnes ne sont pas suivies par l’organisation."
    elif participants:
        present = set(
            participant_choices(date)
            .filter(pk__in=[person.pk for person in participants])
            .values_list("pk", flat=True)
        )
        absent = [person for person in participants if person.pk not in present]
        if absent:
            errors["participants"] = (
                f"Pas présent·es dans un ménage de l’organisation le {_d(date)} : {_names(absent)}."
            )
    if errors:
        raise ValidationError(errors)

    if workshop is None:
        workshop = Workshop(organisation_id=organisation_id, created_by=by)
    else:
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    workshop.date = date
    workshop.title = title
    workshop.theme = theme
    workshop.description = description.strip()
    workshop.full_clean(exclude=["created_by"])  # SET_NULL: may be gone
    workshop.save()
    through = {"organisation_id": organisation_id}
    workshop.facilitators.set(facilitators, through_defaults=through)
    workshop.participants.set(participants, through_defaults=through)
    return workshop
