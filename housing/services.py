"""Use cases of the housing stock: every write goes through one of these functions.

Each runs in a transaction, checks the rules the database cannot (rooms of a shared flat,
pipeline transitions), calls ``full_clean()`` and raises a French ``ValidationError`` without
writing anything when a rule is broken. Units are locked (``select_for_update``) before a rule
that reads their rooms or leases, so that two concurrent requests cannot both pass it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.module_loading import import_string

from housing.models import (
    PARC_OF_LANDLORD_KIND,
    PROSPECT_TRANSITIONS,
    HousingUnit,
    Landlord,
    LandlordKind,
    MainLease,
    Prospect,
    ProspectStatus,
    ProspectTransition,
    Room,
)
from iml.formats import fr_date as _d
from iml.models import Dispositif, User
from iml.scoping import OrganisationOwned, get_current_organisation_id


def _locked_unit(unit_id: int) -> HousingUnit:
    return HousingUnit.objects.select_for_update().get(pk=unit_id)


def _set_organisation(instance: OrganisationOwned) -> None:
    if instance.organisation_id is None:
        instance.organisation_id = get_current_organisation_id()


# --- Landlords ------------------------------------------------------------------------------


@transaction.atomic
def landlord_save(*, landlord: Landlord) -> Landlord:
    """Create or update a landlord (its name is unique in the organisation)."""
    _set_organisation(landlord)
    landlord.name = landlord.name.strip()
    landlord.full_clean()
    landlord.save()
    return landlord


# --- Units and rooms ------------------------------------------------------------------------


@transaction.atomic
def unit_create(*, unit: HousingUnit) -> HousingUnit:
    """Add a unit to the stock. Its return is recorded later, with ``unit_return``."""
    _set_organisation(unit)
    if unit.return_date is not None or unit.return_reason:
        raise ValidationError("Un logement se restitue depuis sa fiche, une fois créé.")
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def unit_update(*, unit: HousingUnit) -> HousingUnit:
    """Save changes to a unit, keeping its rooms consistent with it."""
    _locked_unit(unit.pk)
    rooms = Room.objects.filter(unit_id=unit.pk).aggregate(places=Sum("places"))
    room_places = rooms["places"] or 0
    errors: dict[str, str] = {}
    if room_places and not unit.colocation:
        errors["colocation"] = (
            "Ce logement est partagé en chambres : il reste en colocation tant qu’il a des "
            "chambres."
        )
    if unit.places is not None and room_places > unit.places:
        errors["places"] = (
            f"Ses chambres comptent {room_places} places : le logement ne peut pas en avoir moins."
        )
    if errors:
        raise ValidationError(errors)
    unit.full_clean()
    unit.save()
    return unit


def _check_room_fits(unit: HousingUnit, room: Room) -> None:
    if not unit.colocation:
        raise ValidationError(
            "Seul un logement en colocation se partage en chambres : cochez « colocation » "
            "sur la fiche du logement d’abord."
        )
    if unit.return_date is not None:
        raise ValidationError(
            f"Ce logement a été rendu au bailleur le {_d(unit.return_date)} : "
            "ses chambres ne changent plus."
        )
    taken = (
        Room.objects.filter(unit_id=unit.pk).exclude(pk=room.pk).aggregate(s=Sum("places"))["s"]
        or 0
    )
    if room.places is not None and taken + room.places > unit.places:
        left = unit.places - taken
        raise ValidationError(
            {
                "places": f"Le logement compte {unit.places} places et ses autres chambres en "
                f"occupent {taken} : il en reste {left} pour cette chambre."
            }
        )


def _next_room_reference(unit: HousingUnit) -> str:
    """``<unit reference>-C<n>``, the first n not taken in the organisation."""
    prefix = f"{unit.reference}-C"
    taken = set(
        Room.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)
    )
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


@transaction.atomic
def room_add(*, room: Room) -> Room:
    """Add a room to a shared flat; the rooms' places never exceed the unit's."""
    unit = _locked_unit(room.unit_id)
    _check_room_fits(unit, room)
    room.organisation_id = unit.organisation_id
    room.reference = room.reference.strip() or _next_room_reference(unit)
    room.full_clean()
    room.save()
    return room


@transaction.atomic
def room_update(*, room: Room) -> Room:
    unit = _locked_unit(room.unit_id)
    _check_room_fits(unit, room)
    room.full_clean()
    room.save()
    return room


# Rules of the apps above housing that may refuse a return (a household still subletting the
# unit, in tenancy), called in this order without housing importing them:
# (unit, return_date) -> None, raising a ValidationError. The unit is locked when they run.
UNIT_RETURN_GUARDS = ["tenancy.spaces.unit_return_guard"]


@transaction.atomic
def unit_return(*, unit: HousingUnit, return_date: datetime.date, reason: str) -> HousingUnit:
    """Give a unit back to its landlord: it leaves the stock on ``return_date`` (first day out).

    A main lease still running ends on that day.
    """
    locked = _locked_unit(unit.pk)
    if locked.return_date is not None:
        raise ValidationError(
            f"Ce logement a déjà été rendu au bailleur le {_d(locked.return_date)}."
        )
    if return_date < locked.captation_date:
        raise ValidationError(
            {
                "return_date": "La restitution ne peut pas précéder la captation du "
                f"{_d(locked.captation_date)}."
            }
        )
    if MainLease.objects.filter(unit=locked, start_date__gt=return_date).exists():
        raise ValidationError(
            {"return_date": "Un bail principal de ce logement commence après cette date."}
        )
    for guard in UNIT_RETURN_GUARDS:
        import_string(guard)(unit=locked, return_date=return_date)
    locked.return_date = return_date
    locked.return_reason = reason
    locked.full_clean()
    locked.save(update_fields=["return_date", "return_reason", "updated_at"])
    MainLease.objects.filter(unit=locked, end_date__isnull=True).update(end_date=return_date)
    return locked


# --- Main leases ----------------------------------------------------------------------------


def _sync_current_terms(unit: HousingUnit, lease: MainLease) -> None:
    """The unit's current terms follow its latest lease (by start date)."""
    latest = MainLease.objects.filter(unit=unit).order_by("-start_date", "-pk").first()
    if latest is None or latest.pk != lease.pk:
        return
    unit.landlord_id = lease.landlord_id
    unit.management_mode = lease.management_mode
    unit.rent = lease.rent
    unit.charges = lease.charges
    unit.save(update_fields=["landlord", "management_mode", "rent", "charges", "updated_at"])


def _check_lease(unit: HousingUnit, lease: MainLease) -> None:
    if unit.return_date is not None and lease.start_date and lease.start_date >= unit.return_date:
        raise ValidationError(
            {
                "start_date": f"Le logement a été rendu au bailleur le {_d(unit.return_date)} : "
                "un bail ne peut pas commencer ce jour-là ou après."
            }
        )


@transaction.atomic
def main_lease_record(*, lease: MainLease) -> MainLease:
    """Record the main lease (or management mandate) of a unit.

    Leases of one unit never overlap (database exclusion constraint). The latest lease
    becomes the unit's current terms: landlord, management mode, rent and charges.
    """
    unit = _locked_unit(lease.unit_id)
    _check_lease(unit, lease)
    lease.organisation_id = unit.organisation_id
    lease.full_clean()
    lease.save()
    _sync_current_terms(unit, lease)
    return lease


@transaction.atomic
def main_lease_update(*, lease: MainLease) -> MainLease:
    unit = _locked_unit(lease.unit_id)
    _check_lease(unit, lease)
    lease.full_clean()
    lease.save()
    _sync_current_terms(unit, lease)
    return lease


# --- Captation pipeline ---------------------------------------------------------------------


def _trace(prospect: Prospect, from_status: str, to_status: str, by: User | None) -> None:
    ProspectTransition.objects.create(
        organisation_id=prospect.organisation_id,
        prospect=prospect,
        from_status=from_status,
        to_status=to_status,
        by=by,
    )


@transaction.atomic
def prospect_create(*, prospect: Prospect, by: User | None) -> Prospect:
    """Open a prospect at the first step of the pipeline."""
    _set_organisation(prospect)
    prospect.status = ProspectStatus.CONTACT
    prospect.unit = None
    prospect.landlord_name = prospect.landlord_name.strip()
    prospect.full_clean()
    prospect.save()
    _trace(prospect, "", prospect.status, by)
    return prospect


@transaction.atomic
def prospect_update(*, prospect: Prospect) -> Prospect:
    """Save what was learnt about a prospect; its step changes only by ``prospect_move``."""
    current = Prospect.objects.select_for_update().get(pk=prospect.pk)
    if prospect.status != current.status or prospect.unit_id != current.unit_id:
        raise ValidationError("L’étape d’une prospection change avec ses boutons d’étape.")
    prospect.landlord_name = prospect.landlord_name.strip()
    prospect.full_clean()
    prospect.save()
    return prospect


def _refuse_transition(current: str, target: str) -> ValidationError:
    if current in (ProspectStatus.CAPTE, ProspectStatus.ABANDONNE):
        return ValidationError(
            f"Cette prospection est close ({ProspectStatus(current).label}) : "
            "elle ne change plus d’étape."
        )
    return ValidationError(
        f"Une prospection à l’étape « {ProspectStatus(current).label} » ne peut pas passer "
        f"à « {ProspectStatus(target).label} »."
    )


@transaction.atomic
def prospect_move(*, prospect: Prospect, status: str, by: User | None) -> Prospect:
    """Move a prospect one step along the pipeline, or abandon it; leaves a trace."""
    if status not in ProspectStatus.values:
        raise ValidationError("Étape inconnue.")
    current: Prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    if status == ProspectStatus.CAPTE and current.is_open:
        raise ValidationError(
            "Un logement se capte avec le formulaire « Capter » : il crée le logement et son "
            "bail principal."
        )
    if status not in PROSPECT_TRANSITIONS[current.status]:
        raise _refuse_transition(current.status, status)
    previous = current.status
    current.status = status
    current.save(update_fields=["status", "updated_at"])
    _trace(current, previous, status, by)
    return current


def _landlord_for(prospect: Prospect) -> Landlord:
    """The prospect's landlord, or the one of that name, created if the name is new."""
    if prospect.landlord_id is not None:
        # Set through its id: the landlord is there (the ORM types it as optional).
        return cast(Landlord, prospect.landlord)
    existing: Landlord | None = Landlord.objects.filter(
        name__iexact=prospect.landlord_name.strip()
    ).first()
    if existing is not None:
        return existing
    return landlord_save(
        landlord=Landlord(
            organisation_id=prospect.organisation_id,
            kind=prospect.landlord_kind,
            name=prospect.landlord_name,
            contact_name=prospect.contact[:200],
        )
    )


@transaction.atomic
def prospect_capture(
    *,
    prospect: Prospect,
    dispositif: Dispositif,
    reference: str,
    captation_date: datetime.date,
    places: int,
    management_mode: str,
    rent: Decimal,
    charges: Decimal = Decimal("0"),
    colocation: bool = False,
    sector: str = "",
    anah_convention: str = "",
    energy_class: str = "",
    deposit: Decimal | None = None,
    guarantee: str = "",
    guarantee_reference: str = "",
    by: User | None,
) -> HousingUnit:
    """Capture a prospect in negotiation: create its unit and main lease in one go.

    The landlord is created when the prospect only had a name. The unit takes the prospect's
    address and typology, its parc follows the landlord's kind, and the lease starts on the
    captation date. The prospect is linked to the unit and closed as captured.
    """
    current = Prospect.objects.select_for_update().get(pk=prospect.pk)
    if current.status != ProspectStatus.NEGOCIATION:
        if current.status in (ProspectStatus.CAPTE, ProspectStatus.ABANDONNE):
            raise _refuse_transition(current.status, ProspectStatus.CAPTE)
        raise ValidationError(
            "Seule une prospection en négociation peut être captée : passez-la d’abord "
            "en négociation."
        )
    if dispositif.organisation_id != current.organisation_id:
        raise ValidationError({"dispositif": "Dispositif inconnu."})
    landlord = _landlord_for(current)
    unit = HousingUnit(
        organisation_id=current.organisation_id,
        dispositif=dispositif,
        reference=reference.strip(),
        address=current.address,
        postcode=current.postcode,
        city=current.city,
        sector=sector.strip(),
        typology=current.typology,
        places=places,
        colocation=colocation,
        parc=PARC_OF_LANDLORD_KIND[LandlordKind(landlord.kind)],
        management_mode=management_mode,
        anah_convention=anah_convention,
        energy_class=energy_class,
        landlord=landlord,
        rent=rent,
        charges=charges,
        captation_date=captation_date,
    )
    unit.full_clean()
    unit.save()
    lease = MainLease(
        organisation_id=current.organisation_id,
        unit=unit,
        landlord=landlord,
        management_mode=management_mode,
        start_date=captation_date,
        rent=rent,
        charges=charges,
        deposit=deposit,
        guarantee=guarantee,
        guarantee_reference=guarantee_reference.strip(),
    )
    lease.full_clean()
    lease.save()
    previous = current.status
    current.landlord = landlord
    current.unit = unit
    current.status = ProspectStatus.CAPTE
    current.full_clean()
    current.save(update_fields=["landlord", "unit", "status", "updated_at"])
    _trace(current, previous, ProspectStatus.CAPTE, by)
    return unit
