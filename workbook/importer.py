"""Writing an analysed workbook: one transaction, bulk inserts and updates, sheet by sheet.

Nothing is written unless ``workbook.validate`` found no error at all. Rows matched in the
organisation are updated only when a value differs (a second import of the same workbook
writes nothing); ledger entries are never updated (the ledger is append-only).

Run inside ``organisation_transaction`` (commands, tasks) or a request: every query and row
is the current organisation's, and every new row carries its organisation.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone

from households.models import (
    EmploymentRecord,
    EventKind,
    Household,
    HouseholdEvent,
    Person,
    ResourceRecord,
    fold,
)
from housing.models import HousingUnit, Landlord, Room
from iml.codes import LedgerKind, SupportDomain
from iml.models import Dispositif
from iml.scoping import get_current_organisation_id
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal
from support.models import (
    Interaction,
    InteractionStaff,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
    WorkshopParticipant,
)
from tenancy.models import (
    Amendment,
    Instalment,
    LedgerEntry,
    ReceiptCounter,
    RepaymentPlan,
    SubleaseContract,
)
from workbook.fastinsert import insert_rows, insert_tuples
from workbook.reader import RawWorkbook
from workbook.validate import (
    FOREIGN_KEYS,
    Analysis,
    Item,
    LandlordName,
    Link,
    analyse,
    without_gc,
)

BATCH = 2000
CHUNK = 20000  # rows inserted at once
ENTRY_COLUMNS = [
    "organisation_id", "public_id", "ref", "contract_id", "date", "kind", "debit", "credit",
    "period", "rent_part", "charges_part", "method", "number", "reference", "note",
    "reverses_id", "replaces_id", "created_by_id", "created_at",
]  # fmt: skip
WORKSHOP_THEME = SupportDomain.SOCIAL  # the workbook has no theme column
IMPORTED = "Reprise de l’historique : importé du classeur d’échange"


class ImportErrors(Exception):
    """The workbook has errors: nothing was written."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} erreur(s)")
        self.errors = errors


def import_workbook(
    book: RawWorkbook,
    organisation,
    *,
    user=None,
    progress: Callable[[int], None] | None = None,
    today: datetime.date | None = None,
) -> Analysis:
    """Validate everything, then write everything (one transaction), or raise
    ``ImportErrors`` with every error and write nothing."""
    if get_current_organisation_id() != organisation.pk:
        raise RuntimeError("import_workbook runs as the organisation it imports into")
    with without_gc(), transaction.atomic():
        analysis = analyse(book, organisation, user=user, today=today)
        if not analysis.ok:
            raise ImportErrors(analysis.messages())
        Writer(analysis, organisation, user=user, progress=progress).write()
    return analysis


class Writer:
    def __init__(self, analysis: Analysis, organisation, *, user=None, progress=None):
        self.analysis = analysis
        self.organisation_id = organisation.pk
        self.user_id = getattr(user, "pk", None)
        self.pks: dict[str, dict[str, int]] = defaultdict(dict)
        for sheet, pks in analysis.pks.items():
            self.pks[sheet].update(pks)
        self.progress = progress
        self.total = sum(len(items) for items in analysis.items.values()) or 1
        self.done = 0
        self.now = timezone.now()
        self.landlords: dict[str, int] = {
            name: landlord.pk for name, landlord in analysis.landlords.items()
        }

    # -- helpers --

    def advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(99, int(100 * self.done / self.total)))

    def attrs(self, fields: dict) -> dict:
        """Model attributes of a plan's fields: links to primary keys."""
        out = {}
        for name, value in fields.items():
            if isinstance(value, Link):
                out[f"{name}_id"] = self.pks[value.sheet][value.key]
            elif isinstance(value, LandlordName):
                out["landlord_id"] = self.landlords[value.name]
            elif value is None and name in FOREIGN_KEYS:
                out[f"{name}_id"] = None
            else:
                out[name] = value
        return out

    def row(self, item: Item, **extra) -> dict:
        return {"organisation_id": self.organisation_id, **self.attrs(item.fields), **extra}

    def create(self, sheet: str, model, items: list[Item], **extra) -> list[int]:
        """Insert the new rows of ``sheet``; their primary keys (in ``items``' order)."""
        pks = []
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            pks += insert_rows(model, [self.row(item, **extra) for item in chunk])
        for item, pk in zip(items, pks, strict=True):
            self.pks[sheet][item.key] = pk
        return pks

    def update(self, items: list[Item], *, stamp: bool = False, also=None) -> list:
        """Apply the changed fields, grouped by the set of fields each row changes."""
        groups: dict[tuple[str, ...], list] = defaultdict(list)
        for item in items:
            obj = item.obj
            attrs = self.attrs({name: item.fields[name] for name in item.changed})
            for name, value in attrs.items():
                setattr(obj, name, value)
            names = list(item.changed)
            if also is not None:
                names += also(item, obj)
            if names and stamp:
                obj.updated_at = self.now
                names.append("updated_at")
            if names:
                groups[tuple(sorted(set(names)))].append(obj)
        for names, objs in groups.items():
            type(objs[0]).objects.bulk_update(objs, list(names), batch_size=BATCH)
        return [item.obj for item in items]

    def split(self, sheet: str) -> tuple[list[Item], list[Item]]:
        items = self.analysis.items.get(sheet, [])
        return [i for i in items if i.obj is None], [i for i in items if i.obj is not None]

    def simple(self, sheet: str, model, *, stamp: bool = False, **extra) -> None:
        created, updated = self.split(sheet)
        self.create(sheet, model, created, **extra)
        self.update(updated, stamp=stamp)
        self.advance(len(created) + len(updated))

    # -- sheets, in order --

    def write(self) -> None:
        by = {"created_by_id": self.user_id}
        with connection.cursor() as cursor:
            # pgtrigger's check of ignored triggers (history triggers of every tracked table)
            # raises and catches an error for each row when the setting is absent: an empty
            # list (ignore nothing) spares a subtransaction's rollback per row.
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
        self.simple("dispositifs", Dispositif)
        if self.analysis.new_landlords:
            landlords = Landlord.objects.bulk_create(
                Landlord(organisation_id=self.organisation_id, name=name, kind=kind)
                for name, kind in self.analysis.new_landlords.items()
            )
            self.landlords.update({landlord.name: landlord.pk for landlord in landlords})
        self.simple("logements", HousingUnit, stamp=True)
        self.rooms()
        self.households()
        self.persons()
        self.simple("ressources", ResourceRecord, recorded_by_id=self.user_id)
        self.simple("emplois", EmploymentRecord, recorded_by_id=self.user_id)
        self.simple("contrats", SubleaseContract, **by)
        self.simple("avenants", Amendment, **by)
        self.entries()
        self.plans()
        self.supports()
        self.simple("avenants_accompagnement", SupportAmendment, **by)
        self.interactions()
        self.workshops()
        self.simple("demandes_logement", HousingDemand, stamp=True, updated_by_id=self.user_id)
        self.simple("propositions", Proposal, **by)
        self.simple("mesures", Measure, **by)
        self.simple("suivis_sortie", FollowUp, **by)
        if self.progress is not None:
            self.progress(100)

    def rooms(self) -> None:
        created, updated = self.split("chambres")
        taken: dict[int, set[str]] = defaultdict(set)
        for unit_id, label in Room.objects.values_list("unit_id", "label"):
            taken[unit_id].add(label)
        rows = []
        for item in created:
            row = self.row(item)
            label = base = item.key[:50]
            number = 2
            while label in taken[row["unit_id"]]:
                suffix = f" ({number})"
                label, number = base[: 50 - len(suffix)] + suffix, number + 1
            taken[row["unit_id"]].add(label)
            row["label"] = label
            rows.append(row)
        for item, pk in zip(created, insert_rows(Room, rows), strict=True):
            self.pks["chambres"][item.key] = pk
        self.update(updated, stamp=True)
        self.advance(len(created) + len(updated))

    def households(self) -> None:
        created, updated = self.split("menages")
        pks = self.create("menages", Household, created)
        insert_rows(
            HouseholdEvent,
            [
                self.imported_event(pk, item.fields.get("orientation_date"))
                for item, pk in zip(created, pks, strict=True)
            ],
        )
        self.update(updated, stamp=True)
        self.advance(len(created) + len(updated))

    def imported_event(self, household_id: int, oriented) -> dict:
        """The household's first trace: its orientation, or, when the workbook gives no
        orientation date, the import itself (the date stays unknown)."""
        return {
            "organisation_id": self.organisation_id,
            "household_id": household_id,
            "kind": EventKind.ORIENTED if oriented else EventKind.UPDATED,
            "date": oriented or self.now.date(),
            "summary": IMPORTED if oriented else f"{IMPORTED} (date d’orientation inconnue)",
            "person_id": None,
            "recorded_by_id": self.user_id,
        }

    def persons(self) -> None:
        created, updated = self.split("personnes")
        rows = []
        for item in created:
            row = self.row(item)
            row["search_name"] = fold(f"{row['first_name']} {row['last_name']}")
            rows.append(row)
        for item, pk in zip(created, insert_rows(Person, rows), strict=True):
            self.pks["personnes"][item.key] = pk

        def search_name(item: Item, person: Person) -> list[str]:
            if {"first_name", "last_name"} & set(item.changed):
                person.search_name = fold(f"{person.first_name} {person.last_name}")
                return ["search_name"]
            return []

        self.update(updated, also=search_name)
        self.advance(len(created) + len(updated))

    def entries(self) -> None:
        """New entries only (recorded ones are never updated); a call that replaces a new one
        after it, reversals last; payments get the next receipt numbers of their year, in
        date order."""
        items = self.analysis.items.get("mouvements", [])
        numbers = self.receipt_numbers(
            item for item in items if item.fields["kind"] == LedgerKind.PAIEMENT
        )
        new = {item.key for item in items}
        pending = [item for item in items if item.fields["kind"] != LedgerKind.ANNULATION]
        batches: list[list[Item]] = []
        written = set(self.pks["mouvements"])
        while pending:
            # The calls whose replaced call is already written (recorded, or in a batch before).
            ready = [
                item
                for item in pending
                if (replaces := item.fields.get("replaces")) is None
                or replaces.key not in new
                or replaces.key in written
            ]
            if not ready:  # the validation builds chains: cannot happen
                raise RuntimeError("rent calls replacing each other in a cycle")
            batches.append(ready)
            taken = {id(item) for item in ready}
            written |= {item.key for item in ready}
            pending = [item for item in pending if id(item) not in taken]
        batches.append([i for i in items if i.fields["kind"] == LedgerKind.ANNULATION])
        for batch in batches:
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                rows = [self.entry_row(item, numbers) for item in chunk]
                pks = insert_tuples(LedgerEntry, ENTRY_COLUMNS, rows)
                for item, pk in zip(chunk, pks, strict=True):
                    self.pks["mouvements"][item.key] = pk
                self.advance(len(chunk))

    def entry_row(self, item: Item, numbers: dict[str, str]) -> tuple:
        """An entry's values in the order of ``ENTRY_COLUMNS`` (the large table: no dict)."""
        fields = item.fields
        reverses, replaces = fields["reverses"], fields.get("replaces")
        return (
            self.organisation_id,
            uuid.uuid4(),
            fields["ref"],
            self.pks["contrats"][fields["contract"].key],
            fields["date"],
            fields["kind"],
            fields["debit"],
            fields["credit"],
            fields["period"],
            fields.get("rent_part"),
            fields.get("charges_part"),
            fields["method"],
            numbers.get(item.key, ""),
            "",
            "",
            None if reverses is None else self.pks["mouvements"][reverses.key],
            None if replaces is None else self.pks["mouvements"][replaces.key],
            self.user_id,
            self.now,
        )

    def receipt_numbers(self, payments: Iterable[Item]) -> dict[str, str]:
        """``2026-00042``: numbers reserved in one upsert per year (see
        ``tenancy.ledger.next_receipt_number``)."""
        by_year: dict[int, list[Item]] = defaultdict(list)
        for item in payments:
            by_year[item.fields["date"].year].append(item)
        numbers: dict[str, str] = {}
        table = ReceiptCounter._meta.db_table
        for year, items in sorted(by_year.items()):
            items.sort(key=lambda item: (item.fields["date"], item.row))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {table} (public_id, organisation_id, year, last)
                    VALUES (gen_random_uuid(), %s, %s, %s)
                    ON CONFLICT (organisation_id, year)
                    DO UPDATE SET last = {table}.last + EXCLUDED.last
                    RETURNING last
                    """,
                    [self.organisation_id, year, len(items)],
                )
                (last,) = cursor.fetchone()
            first = last - len(items) + 1
            for offset, item in enumerate(items):
                numbers[item.key] = f"{year}-{first + offset:05d}"
        return numbers

    def plans(self) -> None:
        created, updated = self.split("plans_apurement")
        pks = self.create("plans_apurement", RepaymentPlan, created, created_by_id=self.user_id)
        self.update(updated)
        rescheduled = [item for item in updated if item.extra.get("reschedule")]
        Instalment.objects.filter(plan__in=[item.obj for item in rescheduled]).delete()
        plans = [
            (pk, item.fields["debt"], item.fields["instalment"], item.fields["first_due_date"],
             item.extra["count"])
            for item, pk in zip(created, pks, strict=True)
        ] + [
            (item.obj.pk, item.obj.debt, item.obj.instalment, item.obj.first_due_date,
             item.extra["count"])
            for item in rescheduled
        ]  # fmt: skip
        schedule = []
        for plan_id, debt, instalment, first_due, count in plans:
            remaining = debt
            for number in range(1, count + 1):
                amount = min(instalment, remaining)
                remaining -= amount
                schedule.append(
                    {
                        "organisation_id": self.organisation_id,
                        "plan_id": plan_id,
                        "number": number,
                        "due_date": first_due + relativedelta(months=number - 1),
                        "amount": amount,
                    }
                )
        insert_rows(Instalment, schedule)
        self.advance(len(created) + len(updated))

    def supports(self) -> None:
        created, updated = self.split("accompagnements")
        pks = self.create("accompagnements", SupportContract, created, created_by_id=self.user_id)
        self.update(updated)
        objectives = []
        for item, pk, signed_on in [
            *((item, pk, item.fields["signed_on"]) for item, pk in zip(created, pks, strict=True)),
            *((item, item.obj.pk, item.obj.signed_on) for item in updated),
        ]:
            for domain in item.extra.get("objectives", []):
                objectives.append(
                    {
                        "organisation_id": self.organisation_id,
                        "contract_id": pk,
                        "domain": domain,
                        "text": str(SupportDomain(domain).label)[:300],
                        "start_date": signed_on,
                        "closed_on": None,
                    }
                )
        insert_rows(SupportObjective, objectives)
        self.advance(len(created) + len(updated))

    def links(self, model, left: str, right: str, wanted: dict[int, list[int]], new=()) -> None:
        """Make the link rows of each ``left`` object exactly ``wanted[left]`` (``new``:
        objects just created, which have none yet)."""
        if not wanted:
            return
        existing: dict[int, set[int]] = defaultdict(set)
        recorded = [left_id for left_id in wanted if left_id not in new]
        for left_id, right_id in model.objects.filter(**{f"{left}_id__in": recorded}).values_list(
            f"{left}_id", f"{right}_id"
        ):
            existing[left_id].add(right_id)
        stale = [
            (left_id, right_id)
            for left_id, rights in existing.items()
            for right_id in rights - set(wanted[left_id])
        ]
        for left_id, right_id in stale:
            model.objects.filter(**{f"{left}_id": left_id, f"{right}_id": right_id}).delete()
        insert_rows(
            model,
            [
                {
                    "organisation_id": self.organisation_id,
                    f"{left}_id": left_id,
                    f"{right}_id": right_id,
                }
                for left_id, rights in wanted.items()
                for right_id in rights
                if right_id not in existing[left_id]
            ],
        )

    def interactions(self) -> None:
        created, updated = self.split("interactions")
        pks = self.create("interactions", Interaction, created, created_by_id=self.user_id)
        self.update(updated)
        wanted = {
            pk: item.extra["staff"]
            for item, pk in [
                *zip(created, pks, strict=True),
                *((item, item.obj.pk) for item in updated),
            ]
            if "staff" in item.extra
        }
        self.links(InteractionStaff, "interaction", "user", wanted, new=set(pks))
        self.advance(len(created) + len(updated))

    def workshops(self) -> None:
        created, updated = self.split("ateliers")
        pks = self.create(
            "ateliers", Workshop, created, created_by_id=self.user_id, theme=WORKSHOP_THEME
        )
        self.update(updated)
        persons = self.pks["personnes"]
        wanted = {
            pk: [persons[ref] for ref in item.extra["participants"]]
            for item, pk in [
                *zip(created, pks, strict=True),
                *((item, item.obj.pk) for item in updated),
            ]
        }
        self.links(WorkshopParticipant, "workshop", "person", wanted, new=set(pks))
        self.advance(len(created) + len(updated))


__all__ = ["ImportErrors", "import_workbook"]
