"""Inventories (états des lieux) of sublease contracts, and technical incidents of units.

Inventories
    One entry and one exit inventory per contract (the database enforces it). The entry one
    is dated from the contract's start. The exit one needs the end of the contract recorded
    first (``actual_end_date``, set by the household's exit): it may be dated before that day
    (the walk-through on the last day), on it, or after it (keys handed back late), but never
    before the entry inventory. Damages are charged at exit only, as a ``degradation`` debit
    appended to the ledger and linked from the inventory. An inventory is never edited
    afterwards: its damages live in the append-only ledger, where a mistake is corrected by
    reversing the entry.

Incidents
    Reported (``signale``), then handled (``en_cours``), then resolved (``resolu``); a simple
    one may be resolved straight away, and a resolved one reopened (back to ``en_cours``).
    ``resolved_on`` is set exactly when resolved, never before the report; no date in the
    future. The history triggers keep every change.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from housing.models import HousingUnit
from iml.codes import LedgerKind
from iml.models import User
from iml.pdf import html_to_pdf
from iml.selectors import Panel
from iml.validators import text_problem
from tenancy.amounts import clean_amount
from tenancy.ledger import charge_record
from tenancy.models import (
    Incident,
    IncidentKind,
    IncidentStatus,
    Inventory,
    InventoryItem,
    InventoryKind,
    ItemCondition,
    SubleaseContract,
)

ONE_PER_KIND = "inventory_one_per_kind"
NO_DAMAGES = Decimal("0.00")
ITEM_LIMITS = {"room": 60, "item": 100, "notes": 300}

# The rows offered for a new entry inventory: (room, item).
DEFAULT_ITEMS: tuple[tuple[str, str], ...] = (
    ("Entrée", "Porte"),
    ("Entrée", "Sol"),
    ("Entrée", "Murs"),
    ("Cuisine", "Évier"),
    ("Cuisine", "Plaques de cuisson"),
    ("Salle d’eau", "Douche"),
    ("Salle d’eau", "WC"),
    ("Chambre", "Fenêtre"),
    ("Chambre", "Murs"),
)


def _fr(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


# --- Inventories ----------------------------------------------------------------------------


def _clean_items(items: list[dict]) -> list[dict]:
    """The rows with something in them, stripped and checked (French messages)."""
    rows = []
    for number, raw in enumerate(items, start=1):
        row = {key: str(raw.get(key) or "").strip() for key in ("room", "item", "condition")}
        row["notes"] = str(raw.get("notes") or "").strip()
        if not any(row.values()):
            continue
        if not row["room"] or not row["item"]:
            raise ValidationError(f"Ligne {number} : indiquez la pièce et l’élément.")
        if row["condition"] not in ItemCondition.values:
            raise ValidationError(f"Ligne {number} : choisissez l’état de « {row['item']} ».")
        for key, limit in ITEM_LIMITS.items():
            if len(row[key]) > limit:
                raise ValidationError(f"Ligne {number} : {limit} caractères au plus par case.")
            # Written by bulk_create, which skips the models' own checks: the same rule here.
            if problem := text_problem(row[key], multiline=False):
                raise ValidationError(f"Ligne {number} : {problem}")
        rows.append(row)
    if not rows:
        raise ValidationError("Relevez au moins un élément (pièce, élément et état).")
    return rows


def _clean_damages(kind: str, damages) -> Decimal:
    if damages in (None, ""):
        return NO_DAMAGES
    with contextlib.suppress(InvalidOperation, ValueError):
        if Decimal(str(damages).replace(",", ".").strip()) == 0:
            return NO_DAMAGES
    if kind != InventoryKind.SORTIE:
        raise ValidationError({"damages": "Des dégradations ne se facturent qu’à la sortie."})
    return clean_amount(damages, field="damages")


def _check_dates(contract: SubleaseContract, kind: str, date: datetime.date) -> None:
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    if date < contract.start_date:
        raise ValidationError(
            {"date": f"La date précède le début du contrat ({_fr(contract.start_date)})."}
        )
    others = {i.kind: i for i in Inventory.objects.filter(contract=contract)}
    if kind in others:
        raise ValidationError(
            f"Ce contrat a déjà son {InventoryKind(kind).label} (du {_fr(others[kind].date)}) : "
            "un état des lieux ne se refait pas."
        )
    if kind == InventoryKind.ENTREE:
        if contract.actual_end_date is not None and date >= contract.actual_end_date:
            raise ValidationError(
                {
                    "date": "L’état des lieux d’entrée doit précéder la fin du contrat "
                    f"({_fr(contract.actual_end_date)})."
                }
            )
        exit_inventory = others.get(InventoryKind.SORTIE)
        if exit_inventory is not None and date > exit_inventory.date:
            raise ValidationError(
                {"date": "L’état des lieux d’entrée ne peut suivre celui de sortie."}
            )
        return
    if contract.actual_end_date is None:
        raise ValidationError(
            "L’état des lieux de sortie se fait quand le contrat se termine : enregistrez "
            "d’abord la sortie du ménage (date de fin du contrat)."
        )
    entry_inventory = others.get(InventoryKind.ENTREE)
    if entry_inventory is not None and date < entry_inventory.date:
        raise ValidationError(
            {
                "date": "L’état des lieux de sortie ne peut précéder celui d’entrée "
                f"({_fr(entry_inventory.date)})."
            }
        )


@transaction.atomic
def inventory_create(
    *,
    contract: SubleaseContract,
    kind: str,
    date: datetime.date,
    notes: str,
    items: list[dict],
    damages,
    by: User,
) -> Inventory:
    """Record the entry or exit inventory of a contract, with its items; at exit, damages
    (an amount in euros) are charged to the household in the ledger."""
    # Locked: two inventories of one contract are recorded one after the other.
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    if kind not in InventoryKind.values:
        raise ValidationError({"kind": "Type d’état des lieux inconnu."})
    _check_dates(contract, kind, date)
    damages = _clean_damages(kind, damages)
    rows = _clean_items(items)
    inventory = Inventory(
        organisation_id=contract.organisation_id,
        contract=contract,
        kind=kind,
        date=date,
        notes=notes.strip(),
        damages=damages,
        created_by=by,
    )
    if damages > 0:
        inventory.damages_entry = charge_record(
            contract=contract,
            date=date,
            kind=LedgerKind.DEGRADATION,
            amount=damages,
            note=f"Dégradations constatées à l’état des lieux de sortie du {_fr(date)}",
            by=by,
        )
    # The rules above are checked; PostgreSQL enforces the constraints (and the uniqueness
    # per kind would also stop a concurrent insert).
    inventory.full_clean(exclude=["created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            inventory.save()
    except IntegrityError as error:
        if ONE_PER_KIND in str(error):
            raise ValidationError("Cet état des lieux existe déjà pour ce contrat.") from error
        raise
    InventoryItem.objects.bulk_create(
        InventoryItem(organisation_id=contract.organisation_id, inventory=inventory, **row)
        for row in rows
    )
    return inventory


def initial_rows(contract: SubleaseContract, kind: str) -> list[dict]:
    """The rows a new inventory's form starts with: for an exit, the rooms and items of the
    entry inventory (with their condition at entry, shown beside for comparison); for an
    entry, or an exit without an entry inventory, a default set."""
    if kind == InventoryKind.SORTIE:
        entry = list(
            InventoryItem.objects.filter(
                inventory__contract=contract, inventory__kind=InventoryKind.ENTREE
            )
            .order_by("pk")
            .values("room", "item", "condition")
        )
        if entry:
            return [
                {"room": row["room"], "item": row["item"], "entry_condition": row["condition"]}
                for row in entry
            ]
    return [{"room": room, "item": item} for room, item in DEFAULT_ITEMS]


@dataclass(frozen=True)
class ComparedItem:
    room: str
    item: str
    condition: str  # label; "" when not noted in this inventory
    entry_condition: str  # label at entry; "" when not noted at entry (or an entry inventory)
    notes: str
    worse: bool  # condition worse than at entry


_RANK = {value: rank for rank, value in enumerate(ItemCondition.values)}


def _key(room: str, item: str) -> tuple[str, str]:
    return (room.strip().casefold(), item.strip().casefold())


def inventory_rows(inventory: Inventory) -> list[ComparedItem]:
    """The inventory's items; at exit, each beside its condition at entry (matched on room and
    item), then the entry items not noted at exit. Two queries at most."""
    labels = dict(ItemCondition.choices)
    items = list(inventory.items.order_by("pk"))
    entry: dict[tuple[str, str], InventoryItem] = {}
    if inventory.kind == InventoryKind.SORTIE:
        for item in InventoryItem.objects.filter(
            inventory__contract_id=inventory.contract_id, inventory__kind=InventoryKind.ENTREE
        ).order_by("pk"):
            entry.setdefault(_key(item.room, item.item), item)
    rows = []
    for item in items:
        before = entry.pop(_key(item.room, item.item), None)
        rows.append(
            ComparedItem(
                room=item.room,
                item=item.item,
                condition=str(labels[item.condition]),
                entry_condition=str(labels[before.condition]) if before else "",
                notes=item.notes,
                worse=before is not None and _RANK[item.condition] > _RANK[before.condition],
            )
        )
    rows.extend(
        ComparedItem(
            room=item.room,
            item=item.item,
            condition="",
            entry_condition=str(labels[item.condition]),
            notes="",
            worse=False,
        )
        for item in entry.values()
    )
    return rows


def inventory_for_page(public_id) -> QuerySet[Inventory]:
    return Inventory.objects.select_related(
        "contract__organisation",
        "contract__household",
        "contract__unit",
        "contract__room",
        "damages_entry",
    ).filter(public_id=public_id)


def inventory_pdf(inventory: Inventory) -> bytes:
    """The inventory as an A4 PDF, in French, to sign with the household."""
    from households.models import Person

    contract = inventory.contract
    persons = [
        person
        for person in Person.objects.filter(household_id=contract.household_id)
        .present_at(inventory.date)
        .order_by("birth_date", "pk")
        if person.is_adult_role
    ]
    html = render_to_string(
        "documents/tenancy/inventory.html",
        {
            "inventory": inventory,
            "contract": contract,
            "organisation": contract.organisation,
            "persons": persons,
            "rows": inventory_rows(inventory),
            "at_exit": inventory.kind == InventoryKind.SORTIE,
        },
    )
    return html_to_pdf(html)


# --- Incidents ------------------------------------------------------------------------------

OPEN_STATUSES = (IncidentStatus.SIGNALE, IncidentStatus.EN_COURS)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentStatus.SIGNALE: (IncidentStatus.EN_COURS, IncidentStatus.RESOLU),
    IncidentStatus.EN_COURS: (IncidentStatus.RESOLU,),
    IncidentStatus.RESOLU: (IncidentStatus.EN_COURS,),  # reopened
}


@transaction.atomic
def incident_report(
    *,
    unit: HousingUnit,
    kind: str,
    description: str,
    reported_on: datetime.date,
    by: User,
) -> Incident:
    """A technical problem reported on a unit of the stock."""
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": "Choisissez la nature de l’incident."})
    description = description.strip()
    if not description:
        raise ValidationError({"description": "Décrivez l’incident."})
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": "La date ne peut pas être dans le futur."})
    if not unit.in_stock_at(reported_on):
        raise ValidationError({"reported_on": "Le logement n’était pas dans le parc à cette date."})
    incident = Incident(
        organisation_id=unit.organisation_id,
        unit=unit,
        kind=kind,
        description=description,
        reported_on=reported_on,
        status=IncidentStatus.SIGNALE,
        created_by=by,
    )
    incident.full_clean(exclude=["created_by"], validate_constraints=False)
    incident.save()
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    status: str,
    resolved_on: datetime.date | None,
    by: User,
) -> Incident:
    """Move an incident along: handled, resolved (with its date), or reopened. Keeping the
    status corrects the resolution date of a resolved incident."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if status not in IncidentStatus.values:
        raise ValidationError({"status": "État inconnu."})
    if status != incident.status and status not in TRANSITIONS[incident.status]:
        raise ValidationError(
            {
                "status": f"Un incident « {incident.get_status_display()} » ne peut pas "
                f"revenir à « {IncidentStatus(status).label} »."
            }
        )
    if status == IncidentStatus.RESOLU:
        if resolved_on is None:
            raise ValidationError({"resolved_on": "Indiquez la date de résolution."})
        if resolved_on < incident.reported_on:
            raise ValidationError(
                {
                    "resolved_on": "La résolution ne peut précéder le signalement "
                    f"({_fr(incident.reported_on)})."
                }
            )
        if resolved_on > timezone.localdate():
            raise ValidationError({"resolved_on": "La date ne peut pas être dans le futur."})
    elif resolved_on is not None:
        raise ValidationError(
            {"resolved_on": "Une date de résolution ne se donne qu’à un incident résolu."}
        )
    incident.status = status
    incident.resolved_on = resolved_on
    incident.full_clean(exclude=["created_by"], validate_constraints=False)
    incident.save(update_fields=["status", "resolved_on"])
    return incident


def incidents_for_list(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    return incidents.select_related("unit", "unit__dispositif").order_by("-reported_on", "-pk")


def unit_incidents(unit: HousingUnit) -> list[Incident]:
    """The unit's incidents, open ones first, newest first (one query)."""
    return sorted(
        Incident.objects.filter(unit=unit).order_by("-reported_on", "-pk"),
        key=lambda incident: incident.status == IncidentStatus.RESOLU,
    )


def unit_panel(*, unit: HousingUnit) -> Panel:
    """The incidents block of the unit's page, shown even when empty to invite a report (a
    provider of ``housing.selectors.UNIT_PANELS``, one query)."""
    return Panel("tenancy/unit_incidents_panel.html", {"incidents": unit_incidents(unit)})
