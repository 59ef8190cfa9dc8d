"""Validation of a workbook against the organisation's data: every error, before any write.

``analyse(book, organisation)`` reads every row, resolves every reference (to a row of the
workbook or to the organisation's data) and checks the rules; it returns an ``Analysis``: the
errors, each as ``sheet:row: column: message`` (row numbers as the spreadsheet shows them,
header = row 1), and, when there is none, the plan of what to create and update, sheet by
sheet, that ``workbook.importer`` writes.

Rows are matched within the organisation: by ``ref`` (``code`` for dispositifs); a row of
the organisation that has no ``ref`` (entered in the application) is exported with its public
identifier as ``ref`` and matched on it. Sheets without ``ref`` are matched by their natural
key and its occurrence (the second interaction of a household on a day of one type matches
the second one recorded): ressources (ménage, date), emplois (personne, date), avenants
(contrat, rank by date), interactions (ménage, date, type).

Everything runs as the current organisation (the scoped managers): nothing of another
organisation is read, so a ``ref`` equal to another organisation's is simply new here.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from households.models import EmploymentRecord, Household, Person, ResourceRecord
from housing.models import HousingUnit, Landlord, Room
from iml.codes import (
    BAIL_GLISSANT_DESTINATIONS,
    LedgerKind,
    PersonRole,
    RepaymentPlanStatus,
    Resource,
)
from iml.formats import fr_date as _d
from iml.models import (
    DEFAULT_AGE_BRACKETS,
    Dispositif,
    Membership,
    normalize_email,
    parse_age_brackets,
)
from support.models import (
    Interaction,
    InteractionStaff,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
    WorkshopParticipant,
)
from tenancy.amounts import MAX_AMOUNT as LEDGER_MAX_AMOUNT
from tenancy.models import Amendment, LedgerEntry, RepaymentPlan, SubleaseContract
from workbook import spec, values
from workbook.reader import RawWorkbook, ReadError

STAY_LIMIT = relativedelta(months=18)
MAX_INSTALMENTS = 36
JUSTIFICATION = "Reprise de l’historique (classeur d’échange)."
DEBIT_KINDS = {LedgerKind.APPEL, LedgerKind.DEGRADATION}
CREDIT_KINDS = {LedgerKind.PAIEMENT, LedgerKind.APL, LedgerKind.AIDE}
LEDGER_IMMUTABLE = "une écriture déjà importée ne se modifie pas : saisissez une annulation"


# A plausible e-mail address (the workbook names staff by e-mail).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FOREIGN_KEYS = {"landlord", "room", "reverses", "dispositif", "household", "unit", "contract"}


# --- Plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """A foreign key to a row of ``sheet`` known by ``key`` (new rows get their pk when
    written)."""

    sheet: str
    key: str


@dataclass(slots=True)
class Item:
    """One row to write: created when ``obj`` is None, else updated (``changed`` fields)."""

    row: int
    key: str
    obj: Any
    fields: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Row:
    number: int
    values: dict[str, Any]
    bad: set[str]

    def get(self, name: str, default=None):
        value = self.values.get(name)
        return default if value is None else value

    def ok(self, *names: str) -> bool:
        return not any(name in self.bad for name in names)


@dataclass
class Analysis:
    errors: list[ReadError] = field(default_factory=list)
    items: dict[str, list[Item]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    pks: dict[str, dict[str, int]] = field(default_factory=dict)  # existing rows' pks by key
    landlords: dict[str, Any] = field(default_factory=dict)  # name -> Landlord (existing)
    new_landlords: dict[str, str] = field(default_factory=dict)  # name -> kind

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self) -> list[str]:
        return [str(error) for error in self.errors]

    def preview(self) -> list[dict[str, Any]]:
        """Rows to create, update and leave unchanged, sheet by sheet (for the page)."""
        return [
            {"sheet": sheet.name, "label": sheet.label, **self.counts[sheet.name]}
            for sheet in spec.SHEETS
            if sheet.name in self.counts
        ]


# --- Effective rows: the workbook's, else the organisation's --------------------------------


@dataclass(slots=True)
class UnitInfo:
    dispositif: str | None
    captation: datetime.date | None
    returned: datetime.date | None


@dataclass(slots=True)
class HouseholdInfo:
    dispositif: str | None
    entry: datetime.date | None
    exit: datetime.date | None
    valid: bool = True


@dataclass(slots=True)
class PersonInfo:
    household: str | None
    role: str | None


@dataclass(slots=True)
class ContractInfo:
    household: str | None
    unit: str | None
    room: str | None
    start: datetime.date | None
    initial_end: datetime.date | None
    actual_end: datetime.date | None
    rent: Decimal | None
    charges: Decimal | None
    row: int | None = None  # in the workbook (None: recorded in the application)


@dataclass(slots=True)
class EntryInfo:
    contract: str | None
    kind: str | None
    amount: Decimal | None
    debit: Decimal | None
    credit: Decimal | None
    date: datetime.date | None
    period: datetime.date | None
    cancels: str | None
    row: int | None = None


def _key(obj, ref_field: str = "ref") -> str:
    """The key of a row of the organisation: its ref, else its public identifier."""
    return getattr(obj, ref_field) or str(obj.public_id)


class Analyser:
    def __init__(self, book: RawWorkbook, organisation, *, user=None, today=None):
        self.book = book
        self.organisation = organisation
        self.user = user
        self.today = today or timezone.localdate()
        self.result = Analysis(errors=list(book.errors))
        self.rows: dict[str, list[Row]] = {}
        self.present: dict[str, set[str]] = {}
        self.seen: dict[str, dict[str, int]] = defaultdict(dict)  # sheet -> key -> row

    # -- helpers --

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.result.errors.append(ReadError(sheet, row, column, message))

    def has(self, sheet: str, column: str) -> bool:
        return column in self.present.get(sheet, ())

    def items(self, sheet: str) -> list[Item]:
        return self.result.items.setdefault(sheet, [])

    def count(self, sheet: str, action: str) -> None:
        counts = self.result.counts.setdefault(sheet, {"create": 0, "update": 0, "unchanged": 0})
        counts[action] += 1

    def plan(self, sheet: str, row: Row, key: str, obj, fields: dict, extra=None) -> Item:
        """Record a row to create (no ``obj``) or to update (only when something changes)."""
        if obj is not None and "ref" in fields and not obj.ref:
            del fields["ref"]  # recorded in the application, matched by its public identifier
        item = Item(row.number, key, obj, fields, extra=extra or {})
        if obj is None:
            self.count(sheet, "create")
            self.items(sheet).append(item)
            return item
        item.changed = [name for name, value in fields.items() if not self.same(obj, name, value)]
        if item.changed or item.extra.get("changed"):
            self.count(sheet, "update")
            self.items(sheet).append(item)
        else:
            self.count(sheet, "unchanged")
        return item

    def same(self, obj, name: str, value) -> bool:
        if value is None and name in FOREIGN_KEYS:
            return getattr(obj, f"{name}_id") is None
        if isinstance(value, Link):
            return getattr(obj, f"{name}_id") == self.result.pks.get(value.sheet, {}).get(value.key)
        if isinstance(value, LandlordName):
            current = obj.landlord_id
            return current is not None and self.landlord_names.get(current) == value.name
        current = getattr(obj, name)
        if isinstance(value, list):
            return sorted(current or []) == sorted(value)
        return current == value

    def unique(self, sheet: str, row: Row, column: str) -> str | None:
        """The row's key, once: a second row with it is an error."""
        key = row.get(column)
        if key is None or not row.ok(column):
            return None
        first = self.seen[sheet].get(key)
        if first is not None:
            self.error(sheet, row.number, column, f"référence « {key} » en double (ligne {first})")
            return None
        self.seen[sheet][key] = row.number
        return key

    def known(self, sheet: str, row: Row, column: str, target: str, index: dict) -> str | None:
        """A reference to a row of ``target``: in the workbook or the organisation."""
        key = row.get(column)
        if key is None or not row.ok(column):
            return None
        if key not in index:
            self.error(
                sheet,
                row.number,
                column,
                f"référence inconnue « {key} » (ni dans la feuille {target}, "
                "ni dans l’organisation)",
            )
            return None
        return key

    # -- reading --

    def parse_rows(self) -> None:
        for sheet_name, raw in self.book.sheets.items():
            sheet = spec.SHEETS_BY_NAME[sheet_name]
            self.present[sheet_name] = set(raw.headers)
            columns = [
                (column.name, column.required, values.parser(column), values.empty_value(column))
                for column in (sheet.columns_by_name[header] for header in raw.headers)
            ]
            missing = {column for column in sheet.required if column not in raw.headers}
            parsed = []
            error = self.error
            for number, cells in raw.rows:
                row_values: dict[str, Any] = {}
                bad: set[str] = set(missing)
                for (name, required, parse, empty), cell in zip(columns, cells, strict=True):
                    if cell.__class__ is str:
                        cell = cell.strip()
                        if not cell:
                            cell = None
                    if cell is None:
                        row_values[name] = empty
                        if required:
                            bad.add(name)
                            error(sheet_name, number, name, "valeur obligatoire")
                        continue
                    try:
                        row_values[name] = parse(cell)
                    except values.CellError as problem:
                        bad.add(name)
                        row_values[name] = empty
                        error(sheet_name, number, name, str(problem))
                parsed.append(Row(number, row_values, bad))
            self.rows[sheet_name] = parsed

    def sheet_rows(self, name: str) -> list[Row]:
        return self.rows.get(name, [])

    # -- the organisation's data --

    def load(self) -> None:
        pks = self.result.pks
        self.dispositifs = {d.code: d for d in Dispositif.objects.all()}
        pks["dispositifs"] = {code: d.pk for code, d in self.dispositifs.items()}
        self.dispositif_code = {d.pk: code for code, d in self.dispositifs.items()}

        landlords = list(Landlord.objects.all())
        self.result.landlords = {landlord.name: landlord for landlord in landlords}
        self.landlord_names = {landlord.pk: landlord.name for landlord in landlords}

        self.units = {u.reference: u for u in HousingUnit.objects.all()}
        pks["logements"] = {ref: u.pk for ref, u in self.units.items()}
        self.unit_ref = {u.pk: ref for ref, u in self.units.items()}

        self.rooms = {r.reference: r for r in Room.objects.all()}
        pks["chambres"] = {ref: r.pk for ref, r in self.rooms.items()}
        self.room_ref = {r.pk: ref for ref, r in self.rooms.items()}

        self.households = {h.reference: h for h in Household.objects.all()}
        pks["menages"] = {ref: h.pk for ref, h in self.households.items()}
        self.household_ref = {h.pk: ref for ref, h in self.households.items()}

        self.persons = {_key(p): p for p in Person.objects.all()}
        pks["personnes"] = {key: p.pk for key, p in self.persons.items()}
        self.person_ref = {p.pk: key for key, p in self.persons.items()}

        self.contracts = {c.reference: c for c in SubleaseContract.objects.all()}
        pks["contrats"] = {ref: c.pk for ref, c in self.contracts.items()}
        self.contract_ref = {c.pk: ref for ref, c in self.contracts.items()}

        self.plans = {_key(p): p for p in RepaymentPlan.objects.all()}
        pks["plans_apurement"] = {key: p.pk for key, p in self.plans.items()}

        self.supports = {_key(s): s for s in SupportContract.objects.all()}
        pks["accompagnements"] = {key: s.pk for key, s in self.supports.items()}
        self.support_ref = {s.pk: key for key, s in self.supports.items()}

        self.workshops = {_key(w): w for w in Workshop.objects.all()}
        pks["ateliers"] = {key: w.pk for key, w in self.workshops.items()}

    def load_entries(self) -> None:
        """The ledger, as tuples (it is the large table)."""
        self.entries: dict[str, Any] = {}
        self.reversals: dict[int, str] = {}  # target pk -> key of its reversal
        # Recorded rent calls of each (contract, month), in the order they were written
        # (the chain of replacements: every call but the last is reversed).
        self.calls: dict[tuple[int, datetime.date], list[str]] = defaultdict(list)
        entry_key: dict[int, str] = {}
        rows = LedgerEntry.objects.values_list(
            "pk",
            "ref",
            "public_id",
            "contract_id",
            "date",
            "kind",
            "debit",
            "credit",
            "period",
            "method",
            "reverses_id",
            named=True,
        ).order_by("pk")
        for entry in rows.iterator(chunk_size=20000):
            key = entry.ref or str(entry.public_id)
            self.entries[key] = entry
            entry_key[entry.pk] = key
            if entry.kind == LedgerKind.APPEL:
                self.calls[(entry.contract_id, entry.period)].append(key)
        for entry in self.entries.values():
            if entry.reverses_id is not None:
                self.reversals[entry.reverses_id] = entry_key.get(entry.reverses_id, "")
        self.entry_key = entry_key
        self.result.pks["mouvements"] = {key: entry.pk for key, entry in self.entries.items()}

    # -- running --

    def run(self) -> Analysis:
        self.parse_rows()
        self.load()
        self.check_dispositifs()
        self.check_units()
        self.check_rooms()
        self.check_households()
        self.check_persons()
        self.check_resources()
        self.check_employments()
        self.check_contracts()
        self.check_amendments()
        if "mouvements" in self.rows:
            self.load_entries()
            self.check_entries()
        self.check_plans()
        self.check_supports()
        self.check_support_amendments()
        self.check_interactions()
        self.check_workshops()
        self.result.errors.sort(key=_error_order)
        return self.result

    # -- dispositifs --

    def check_dispositifs(self) -> None:
        sheet = "dispositifs"
        self.dispositif_codes = set(self.dispositifs)
        for row in self.sheet_rows(sheet):
            code = self.unique(sheet, row, "code")
            if code is None:
                continue
            self.dispositif_codes.add(code)
            if not _valid_code(code):
                self.error(
                    sheet,
                    row.number,
                    "code",
                    "lettres, chiffres, tirets, points ou soulignés, sans espace",
                )
                continue
            if any(row.get(column) is None for column in ("name", "category", "zone")):
                continue
            fields = {
                "code": code,
                "name": row.get("name"),
                "category": row.get("category"),
                "zone": row.get("zone"),
            }
            if self.has(sheet, "funder"):
                fields["funder"] = row.get("funder", "")
            if self.has(sheet, "places"):
                fields["places"] = row.get("places", 0)
            if self.has(sheet, "report_start_month"):
                fields["report_start_month"] = row.get("report_start_month", 1)
            if self.has(sheet, "age_brackets"):
                brackets = row.get("age_brackets") or DEFAULT_AGE_BRACKETS
                try:
                    parse_age_brackets(brackets)
                except ValidationError as error:
                    self.error(sheet, row.number, "age_brackets", " ".join(error.messages))
                    continue
                fields["age_brackets"] = brackets
            if not row.ok(*fields):
                continue
            self.plan(sheet, row, code, self.dispositifs.get(code), fields)

    # -- logements --

    def check_units(self) -> None:
        sheet = "logements"
        self.unit_info: dict[str, UnitInfo] = {
            ref: UnitInfo(
                self.dispositif_code.get(u.dispositif_id), u.captation_date, u.return_date
            )
            for ref, u in self.units.items()
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.units.get(ref)
            dispositif = self.known(sheet, row, "dispositif", "dispositifs", self.dispositif_codes)
            info = UnitInfo(dispositif, row.get("captation_date"), row.get("return_date"))
            if obj is not None and not self.has(sheet, "return_date"):
                info.returned = obj.return_date
            self.unit_info[ref] = info
            fields: dict[str, Any] = {"reference": ref}
            if dispositif is not None:
                fields["dispositif"] = Link("dispositifs", dispositif)
            for column in (
                "address",
                "postcode",
                "city",
                "typology",
                "places",
                "parc",
                "management_mode",
                "captation_date",
            ):
                fields[column] = row.get(column)
            optional = {
                "sector": "",
                "anah_convention": "",
                "colocation": False,
                "rent": None,
                "charges": None,
                "return_date": None,
                "return_reason": "",
            }
            for column, default in optional.items():
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            if self.has(sheet, "landlord"):
                name = row.get("landlord")
                fields["landlord"] = LandlordName(name, row.get("parc")) if name else None
            effective = {
                "return_date": obj.return_date if obj else None,
                "return_reason": obj.return_reason if obj else "",
                "captation_date": fields["captation_date"],
            }
            effective.update({k: v for k, v in fields.items() if k in effective})
            ok = True
            if bool(effective["return_date"]) != bool(effective["return_reason"]):
                column = "return_reason" if effective["return_date"] else "return_date"
                if row.ok("return_date", "return_reason"):
                    self.error(
                        sheet,
                        row.number,
                        column,
                        "la date et le motif de restitution vont ensemble",
                    )
                ok = False
            if (
                effective["return_date"]
                and effective["captation_date"]
                and effective["return_date"] < effective["captation_date"]
            ):
                self.error(
                    sheet,
                    row.number,
                    "return_date",
                    f"la restitution ({_d(effective['return_date'])}) précède la captation "
                    f"({_d(effective['captation_date'])})",
                )
                ok = False
            if not ok or dispositif is None or row.bad:
                continue
            if fields.get("landlord") is not None:
                landlord = fields["landlord"]
                if landlord.name not in self.result.landlords:
                    self.result.new_landlords.setdefault(landlord.name, landlord.kind)
            self.plan(sheet, row, ref, obj, fields)

    # -- chambres --

    def check_rooms(self) -> None:
        sheet = "chambres"
        self.room_unit: dict[str, str | None] = {
            ref: self.unit_ref.get(room.unit_id) for ref, room in self.rooms.items()
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            unit = self.known(sheet, row, "logement", "logements", self.unit_info)
            self.room_unit[ref] = unit
            if unit is None or row.bad:
                continue
            fields: dict[str, Any] = {"reference": ref, "unit": Link("logements", unit)}
            if self.has(sheet, "places"):
                fields["places"] = row.get("places", 1)
            self.plan(sheet, row, ref, self.rooms.get(ref), fields)

    # -- ménages --

    def check_households(self) -> None:
        sheet = "menages"
        self.household_info: dict[str, HouseholdInfo] = {
            ref: HouseholdInfo(self.dispositif_code.get(h.dispositif_id), h.entry_date, h.exit_date)
            for ref, h in self.households.items()
        }
        optional = {
            "siao_ref": ("siao_reference", ""),
            "orienting_structure": ("orienting_structure", ""),
            "prior_situation": ("prior_situation", ""),
            "reinforced": ("reinforced_support", False),
            "entry_date": ("entry_date", None),
            "exit_date": ("exit_date", None),
            "exit_destination": ("exit_destination", ""),
            "bail_glissant": ("bail_glissant", False),
            "exit_support": ("exit_support", []),
            "withdrawal_date": ("withdrawal_date", None),
            "withdrawal_reason": ("withdrawal_reason", ""),
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.households.get(ref)
            dispositif = self.known(sheet, row, "dispositif", "dispositifs", self.dispositif_codes)
            fields: dict[str, Any] = {"reference": ref}
            if dispositif is not None:
                fields["dispositif"] = Link("dispositifs", dispositif)
            for column, (name, default) in optional.items():
                if self.has(sheet, column):
                    fields[name] = row.get(column, default)
            effective = {
                name: (getattr(obj, name) if obj else default)
                for name, default in optional.values()
            }
            effective.update({k: v for k, v in fields.items() if k in effective})
            entry, exit_ = effective["entry_date"], effective["exit_date"]
            orientation = row.get("orientation_date")
            if orientation is None and obj is not None and not self.has(sheet, "orientation_date"):
                orientation = obj.orientation_date
            # An empty orientation date stays empty: a data-quality gap of the report, never
            # a guess (no entry date copied into it).
            fields["orientation_date"] = orientation
            info = HouseholdInfo(dispositif, entry, exit_, valid=False)
            self.household_info[ref] = info
            problems = self._household_rules(sheet, row, effective, orientation)
            info.valid = not problems and not row.bad and dispositif is not None
            if info.valid:
                self.plan(sheet, row, ref, obj, fields)

    def _household_rules(self, sheet, row: Row, eff: dict, orientation) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        entry, exit_ = eff["entry_date"], eff["exit_date"]
        withdrawal, reason = eff["withdrawal_date"], eff["withdrawal_reason"]
        if entry and orientation and entry < orientation:
            fail(
                "entry_date",
                f"l’entrée ({_d(entry)}) précède l’orientation ({_d(orientation)})",
            )
        if exit_ and not entry:
            fail("exit_date", "une sortie suppose une date d’entrée")
        elif exit_ and entry and exit_ < entry:
            fail("exit_date", f"la sortie ({_d(exit_)}) précède l’entrée ({_d(entry)})")
        if not exit_:
            for column, name in (
                ("exit_destination", "exit_destination"),
                ("bail_glissant", "bail_glissant"),
                ("exit_support", "exit_support"),
            ):
                if eff[name]:
                    fail(column, "renseigné sans date de sortie")
        if eff["bail_glissant"] and eff["exit_destination"] not in BAIL_GLISSANT_DESTINATIONS:
            fail(
                "exit_destination",
                "un bail glissant mène à un logement autonome (logement_social ou logement_prive)",
            )
        # A date without reason is history (counted under « inconnu »); not the reverse.
        if reason and not withdrawal:
            fail("withdrawal_date", "un motif de retrait suppose une date de retrait")
        if withdrawal and entry:
            fail("withdrawal_date", "un ménage retiré de la liste d’attente n’est jamais entré")
        if withdrawal and orientation and withdrawal < orientation:
            fail(
                "withdrawal_date",
                f"le retrait ({_d(withdrawal)}) précède l’orientation ({_d(orientation)})",
            )
        return problems

    # -- personnes --

    def check_persons(self) -> None:
        sheet = "personnes"
        self.person_info: dict[str, PersonInfo] = {
            key: PersonInfo(self.household_ref.get(p.household_id), p.role)
            for key, p in self.persons.items()
        }
        referents: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            if ";" in ref:
                self.error(sheet, row.number, "ref", "une ref de personne ne contient pas « ; »")
                continue
            obj = self.persons.get(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            self.person_info[ref] = PersonInfo(household, row.get("role"))
            if household is None or row.bad:
                continue
            fields: dict[str, Any] = {
                "ref": ref,
                "household": Link("menages", household),
                "last_name": row.get("last_name"),
                "first_name": row.get("first_name"),
                "sex": row.get("sex"),
                "birth_date": row.get("birth_date"),
                "role": row.get("role"),
            }
            for column, default in (
                ("nationality", ""),
                ("protection_status", ""),
                ("joined_date", None),
                ("left_date", None),
            ):
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            joined = fields.get("joined_date", obj.joined_date if obj else None)
            left = fields.get("left_date", obj.left_date if obj else None)
            if self._person_rules(sheet, row, self.household_info[household], joined, left):
                continue
            if fields["role"] == PersonRole.REFERENT:
                referents[household].append((row.number, ref))
            self.plan(sheet, row, ref, obj, fields)
        for key, person in self.persons.items():
            if key not in in_workbook and person.role == PersonRole.REFERENT:
                household = self.household_ref.get(person.household_id)
                referents[household].insert(0, (None, key))
        for household, rows in referents.items():
            first = rows[0]
            for number, _ref in rows[1:]:
                if number is not None:
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} », déjà enregistrée"
                    self.error(
                        sheet,
                        number,
                        "role",
                        f"le ménage « {household} » a déjà une personne de référence ({where})",
                    )

    def _person_rules(self, sheet, row: Row, household: HouseholdInfo, joined, left) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        birth = row.get("birth_date")
        if birth and birth > self.today:
            fail("birth_date", "date de naissance dans le futur")
        if joined and birth and joined < birth:
            fail("joined_date", "l’arrivée précède la naissance")
        if joined and left and left < joined:
            fail("left_date", f"le départ ({_d(left)}) précède l’arrivée ({_d(joined)})")
        entry, exit_ = household.entry, household.exit
        stay = f"entrée le {_d(entry)}" + (f", sortie le {_d(exit_)}" if exit_ else "")
        if (joined or left) and entry is None and household.valid:
            fail(
                "joined_date" if joined else "left_date",
                "le ménage n’est pas entré dans le dispositif : laissez les dates d’arrivée "
                "et de départ vides",
            )
        elif entry is not None:
            if joined and (joined < entry or (exit_ and joined >= exit_)):
                fail(
                    "joined_date",
                    f"arrivée le {_d(joined)}, hors du séjour du ménage ({stay})",
                )
            if left and (left <= (joined or entry) or (exit_ and left > exit_)):
                fail("left_date", f"départ le {_d(left)}, hors du séjour du ménage ({stay})")
        return problems

    # -- ressources, emplois --

    def check_resources(self) -> None:
        sheet = "ressources"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for record in ResourceRecord.objects.order_by("date", "pk"):
            key = (self.household_ref.get(record.household_id), record.date)
            existing[key].append(record)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            resources = row.get("resources")
            if resources and Resource.AUCUNE in resources and len(resources) > 1:
                self.error(
                    sheet, row.number, "resources", "« aucune » ne se combine avec aucune autre"
                )
                continue
            if household is None or row.bad:
                continue
            key = (household, row.get("date"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields = {
                "household": Link("menages", household),
                "date": row.get("date"),
                "resources": resources,
            }
            self.plan(sheet, row, f"{household}|{key[1]}|{index}", obj, fields)

    def check_employments(self) -> None:
        sheet = "emplois"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for record in EmploymentRecord.objects.order_by("date", "pk"):
            existing[(self.person_ref.get(record.person_id), record.date)].append(record)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            person = self.known(sheet, row, "personne", "personnes", self.person_info)
            if person is None or row.bad:
                continue
            if self.person_info[person].role == PersonRole.ENFANT:
                self.error(
                    sheet,
                    row.number,
                    "personne",
                    "la situation d’emploi concerne les adultes (cette personne a le rôle enfant)",
                )
                continue
            key = (person, row.get("date"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields = {
                "person": Link("personnes", person),
                "date": row.get("date"),
                "employment": row.get("employment"),
            }
            self.plan(sheet, row, f"{person}|{key[1]}|{index}", obj, fields)

    # -- contrats --

    def check_contracts(self) -> None:
        sheet = "contrats"
        self.contract_info: dict[str, ContractInfo] = {
            ref: ContractInfo(
                self.household_ref.get(c.household_id),
                self.unit_ref.get(c.unit_id),
                self.room_ref.get(c.room_id) if c.room_id else None,
                c.start_date,
                c.initial_end_date,
                c.actual_end_date,
                c.rent,
                c.charges,
            )
            for ref, c in self.contracts.items()
        }
        checked: list[tuple[Row, str]] = []
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.contracts.get(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            unit = self.known(sheet, row, "logement", "logements", self.unit_info)
            room = None
            if row.get("chambre") is not None:
                room = self.known(sheet, row, "chambre", "chambres", self.room_unit)
                if room is not None and unit is not None and self.room_unit.get(room) != unit:
                    self.error(
                        sheet,
                        row.number,
                        "chambre",
                        f"la chambre « {room} » n’est pas dans le logement « {unit} »",
                    )
                    room = None
                    row.bad.add("chambre")
            start, end = row.get("start_date"), row.get("end_date")
            actual_end = row.get("actual_end_date")
            if not self.has(sheet, "actual_end_date") and obj is not None:
                actual_end = obj.actual_end_date
            charges = row.get("charges", Decimal("0"))
            if not self.has(sheet, "charges") and obj is not None:
                charges = obj.charges
            info = ContractInfo(
                household, unit, room, start, end, actual_end, row.get("rent"), charges, row.number
            )
            self.contract_info[ref] = info
            if household is None or unit is None or row.bad:
                info.row = None if row.bad else info.row
                continue
            if self._contract_rules(sheet, row, info):
                continue
            fields: dict[str, Any] = {
                "reference": ref,
                "household": Link("menages", household),
                "unit": Link("logements", unit),
                "room": Link("chambres", room) if room else None,
                "start_date": start,
                "initial_end_date": end,
                "rent": row.get("rent"),
            }
            for column, default in (("charges", Decimal("0")), ("deposit", Decimal("0"))):
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            if self.has(sheet, "actual_end_date"):
                fields["actual_end_date"] = actual_end
            checked.append((row, ref))
            self.plan(sheet, row, ref, obj, fields)
        self._check_overlaps(sheet)

    def _contract_rules(self, sheet, row: Row, info: ContractInfo) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        start, end, actual_end = info.start, info.initial_end, info.actual_end
        if end <= start:
            fail("end_date", f"la fin de la période initiale ({_d(end)}) doit suivre le début")
        if actual_end is not None and actual_end < start:
            fail("actual_end_date", f"la fin effective ({_d(actual_end)}) précède le début")
        household = self.household_info[info.household]
        unit = self.unit_info[info.unit]
        if household.dispositif and unit.dispositif and household.dispositif != unit.dispositif:
            fail(
                "logement",
                f"le logement relève du dispositif {unit.dispositif}, le ménage de "
                f"{household.dispositif}",
            )
        if household.valid:
            if household.entry is None:
                fail("menage", "le ménage n’est pas entré dans le dispositif")
            elif start < household.entry:
                fail(
                    "start_date",
                    f"le contrat commence avant l’entrée du ménage ({_d(household.entry)})",
                )
            if household.exit is not None:
                if start >= household.exit and not (start == household.exit == actual_end):
                    fail(
                        "start_date",
                        f"le contrat commence après la sortie du ménage ({_d(household.exit)})",
                    )
                elif actual_end is None:
                    fail(
                        "actual_end_date",
                        f"le ménage est sorti le {_d(household.exit)} : indiquez la fin effective",
                    )
                elif actual_end > household.exit:
                    fail(
                        "actual_end_date",
                        f"le contrat finit après la sortie du ménage ({_d(household.exit)})",
                    )
        if unit.captation is not None and start < unit.captation:
            fail("start_date", f"le logement n’est capté que le {_d(unit.captation)}")
        if unit.returned is not None:
            if start >= unit.returned and not (start == unit.returned == actual_end):
                fail("start_date", f"le logement est restitué le {_d(unit.returned)}")
            elif actual_end is None or actual_end > unit.returned:
                fail(
                    "actual_end_date",
                    f"le logement est restitué le {_d(unit.returned)} : le contrat doit finir "
                    "au plus tard ce jour-là",
                )
        return problems

    def _check_overlaps(self, sheet: str) -> None:
        """Two contracts on one space (same unit or room, or the whole unit and a room of it)
        must not cover a common day: the workbook's, and the organisation's others."""
        by_unit: dict[str, list[tuple[str, ContractInfo]]] = defaultdict(list)
        for ref, info in self.contract_info.items():
            if info.unit is None or info.start is None:
                continue
            if ref in self.seen[sheet] and info.row is None:
                continue  # a workbook row with errors already reported
            by_unit[info.unit].append((ref, info))
        far = datetime.date.max
        for contracts in by_unit.values():
            if not any(info.row for _, info in contracts):
                continue
            contracts.sort(key=lambda item: item[1].start)
            for index, (ref, info) in enumerate(contracts):
                end = info.actual_end or far
                if end <= info.start:
                    continue  # an empty period covers no day
                for other_ref, other in contracts[index + 1 :]:
                    if other.start >= end:
                        break
                    other_end = other.actual_end or far
                    if other_end <= other.start:
                        continue
                    if info.room and other.room and info.room != other.room:
                        continue
                    if info.row is None and other.row is None:
                        continue
                    if info.row and other.row:
                        row, against, where = other.row, ref, f"ligne {info.row}"
                    elif other.row:
                        row, against, where = other.row, ref, "déjà enregistré"
                    else:
                        row, against, where = info.row, other_ref, "déjà enregistré"
                    space = (
                        f"la chambre « {info.room} »"
                        if info.room and info.room == other.room
                        else f"le logement « {info.unit} »"
                    )
                    self.error(
                        sheet,
                        row,
                        "start_date",
                        f"{space} est déjà sous-loué sur ces dates (contrat « {against} », "
                        f"{where})",
                    )

    # -- avenants (sous-location et accompagnement) --

    def _amendment_chain(
        self,
        sheet: str,
        parent_column: str,
        parent_sheet: str,
        parents: dict[str, Any],
        existing: dict[str, list],
        term,
    ) -> None:
        """Renewals of a contract, in date order: each after the contract's start and later
        than the term it extends; numbered 1, 2… in that order (matched on the number)."""
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in self.sheet_rows(sheet):
            parent = self.known(sheet, row, parent_column, parent_sheet, parents)
            if parent is None or row.bad:
                continue
            groups[parent].append(row)
        for parent, rows in groups.items():
            start, end, stay_start = term(parent)
            rows.sort(key=lambda r: (r.get("date"), r.get("new_end_date"), r.number))
            previous = end
            for number, row in enumerate(rows, start=1):
                day, new_end = row.get("date"), row.get("new_end_date")
                problems = False
                if start is not None and day < start:
                    self.error(
                        sheet,
                        row.number,
                        "date",
                        f"l’avenant ({_d(day)}) précède le contrat ({_d(start)})",
                    )
                    problems = True
                if previous is not None and new_end <= previous:
                    self.error(
                        sheet,
                        row.number,
                        "new_end_date",
                        f"la nouvelle fin ({_d(new_end)}) doit suivre la fin qu’il prolonge "
                        f"({_d(previous)})",
                    )
                    problems = True
                previous = new_end
                if problems:
                    continue
                beyond = stay_start is not None and new_end > stay_start + STAY_LIMIT
                matches = existing.get(parent, [])
                obj = matches[number - 1] if number <= len(matches) else None
                fields: dict[str, Any] = {
                    "contract": Link(parent_sheet, parent),
                    "number": number,
                    "signed_on": day,
                    "new_end_date": new_end,
                    "beyond_limit": beyond,
                }
                if beyond and (obj is None or not obj.justification):
                    fields["justification"] = JUSTIFICATION
                self.plan(sheet, row, f"{parent}|{number}", obj, fields)

    def check_amendments(self) -> None:
        if not self.sheet_rows("avenants"):
            return
        existing: dict[str, list] = defaultdict(list)
        for amendment in Amendment.objects.order_by("contract_id", "number"):
            existing[self.contract_ref.get(amendment.contract_id)].append(amendment)

        def term(ref: str):
            info = self.contract_info[ref]
            household = self.household_info.get(info.household)
            stay_start = (household.entry if household else None) or info.start
            return info.start, info.initial_end, stay_start

        self._amendment_chain("avenants", "contrat", "contrats", self.contract_info, existing, term)

    def check_support_amendments(self) -> None:
        if not self.sheet_rows("avenants_accompagnement"):
            return
        existing: dict[str, list] = defaultdict(list)
        for amendment in SupportAmendment.objects.order_by("contract_id", "number"):
            existing[self.support_ref.get(amendment.contract_id)].append(amendment)

        def term(ref: str):
            household_ref, start, end = self.support_info[ref]
            household = self.household_info.get(household_ref)
            stay_start = (household.entry if household else None) or start
            return start, end, stay_start

        self._amendment_chain(
            "avenants_accompagnement",
            "accompagnement",
            "accompagnements",
            self.support_info,
            existing,
            term,
        )

    # -- mouvements --

    def check_entries(self) -> None:
        sheet = "mouvements"
        contract_pks = self.result.pks["contrats"]
        infos: dict[str, EntryInfo] = {}
        rows = self.sheet_rows(sheet)
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            contract = self.known(sheet, row, "contrat", "contrats", self.contract_info)
            kind, amount = row.get("kind"), row.get("amount")
            info = EntryInfo(
                contract, kind, amount, None, None, row.get("date"), row.get("period"),
                row.get("cancels"), row.number,
            )  # fmt: skip
            infos[ref] = info
            if kind is None or amount is None:
                continue
            if kind == LedgerKind.REGULARISATION:
                if amount == 0:
                    self.error(sheet, row.number, "amount", "montant nul")
                    continue
                info.debit, info.credit = (
                    (amount, Decimal("0")) if amount > 0 else (Decimal("0"), -amount)
                )
            elif amount <= 0:
                self.error(
                    sheet,
                    row.number,
                    "amount",
                    "le montant est positif (la nature dit débit ou crédit ; seule une "
                    "régularisation peut être négative)",
                )
                continue
            elif kind in DEBIT_KINDS:
                info.debit, info.credit = amount, Decimal("0")
            elif kind in CREDIT_KINDS:
                info.debit, info.credit = Decimal("0"), amount
            if abs(amount) > LEDGER_MAX_AMOUNT:
                self.error(sheet, row.number, "amount", "montant trop élevé (99 999,99 au plus)")
                info.debit = info.credit = None
        calls: dict[tuple[str, datetime.date], list[tuple[int, str]]] = defaultdict(list)
        reversed_by: dict[str, list[int]] = defaultdict(list)
        self.call_items: dict[str, Item] = {}
        self.uncovered: dict[str, int] = {}  # calls of a month their contract does not cover
        for row in rows:
            ref = row.get("ref")
            info = infos.get(ref) if ref is not None else None
            if info is None or info.row != row.number:
                continue
            self._entry(sheet, row, ref, info, infos, calls, reversed_by, contract_pks)
        self._call_chains(sheet, calls, reversed_by, contract_pks)
        # An entry is reversed at most once (the workbook's reversals and the recorded ones).
        for target, numbers in reversed_by.items():
            recorded = self._recorded_reversal(target)
            for position, number in enumerate(numbers):
                if position == 0 and recorded is None:
                    continue
                self.error(
                    sheet,
                    number,
                    "cancels",
                    f"l’écriture « {target} » est déjà annulée"
                    + (f" (« {recorded} »)" if recorded else f" (ligne {numbers[0]})"),
                )

    def _call_chains(self, sheet: str, calls, reversed_by, pks) -> None:
        """One live rent call per contract and month: a second call of a month is valid when
        the first is reversed (a duplicate cancelled, a call issued again after a late exit
        or a rent change). Each new call replaces the last call of its month's chain, the
        reversed ones first, the live one last (``LedgerEntry.replaces``)."""

        def is_reversed(key: str) -> bool:
            entry = self.entries.get(key)
            return bool(reversed_by.get(key)) or (entry is not None and entry.pk in self.reversals)

        for (contract, period), written in calls.items():
            recorded = self.calls.get((pks.get(contract), period), [])
            new = [(number, key) for number, key in written if key in self.call_items]
            live = [key for key in recorded if not is_reversed(key)]
            live += [key for _, key in new if not is_reversed(key)]
            if len(live) > 1:
                first = live[0]
                for number, key in new:
                    if key in live[1:]:
                        where = next((f"ligne {n}" for n, k in written if k == first), None)
                        self.error(
                            sheet,
                            number,
                            "period",
                            f"appel de {period:%Y-%m} en double ({where or f'« {first} »'}) : "
                            "un seul appel non annulé par contrat et par mois",
                        )
                continue
            tail = recorded[-1] if recorded else None
            if new and tail is not None and not is_reversed(tail):
                for number, _key in new:
                    self.error(
                        sheet,
                        number,
                        "period",
                        f"un appel de {period:%Y-%m} est déjà enregistré pour ce contrat "
                        f"(« {tail} ») et n’est pas annulé",
                    )
                continue
            ordered = [key for _, key in new if is_reversed(key)]
            ordered += [key for _, key in new if not is_reversed(key)]
            for key in ordered:
                self.call_items[key].fields["replaces"] = (
                    Link("mouvements", tail) if tail is not None else None
                )
                tail = key

    def _recorded_reversal(self, target: str) -> str | None:
        """The key of a recorded reversal of ``target`` that the workbook does not hold."""
        entry = self.entries.get(target)
        if entry is None:
            return None
        reversal = self.reversals.get(entry.pk)
        if reversal is None or reversal in self.seen["mouvements"]:
            return None
        return reversal

    def _entry(self, sheet, row: Row, ref, info: EntryInfo, infos, calls, reversed_by, pks):
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        contract = self.contract_info.get(info.contract) if info.contract else None
        kind, day = info.kind, info.date
        method = row.get("method", "")
        period = info.period
        reverses = None
        if day is not None and day > self.today:
            fail("date", "la date ne peut pas être dans le futur")
        if contract is not None and day is not None and contract.start and day < contract.start:
            fail("date", f"la date précède le début du contrat ({_d(contract.start)})")
        if kind == LedgerKind.APPEL:
            if period is None:
                if row.ok("period"):
                    fail("period", "un appel de loyer indique son mois (AAAA-MM)")
            elif contract is not None and contract.start is not None:
                next_month = period + relativedelta(months=1)
                if contract.start >= next_month or (
                    contract.actual_end is not None and contract.actual_end <= period
                ):
                    # Valid history only when reversed (a call of a month after a late exit).
                    self.uncovered[ref] = row.number
                calls[(info.contract, period)].append((row.number, ref))
        if kind == LedgerKind.PAIEMENT and not method and row.ok("method"):
            fail("method", "un paiement indique son mode (especes, virement, cheque…)")
        if kind == LedgerKind.ANNULATION:
            target = info.cancels
            if target is None:
                if row.ok("cancels"):
                    fail("cancels", "une annulation indique la ref de l’écriture annulée")
            elif target == ref:
                fail("cancels", "une écriture ne s’annule pas elle-même")
            else:
                reverses = self._reversal_target(fail, ref, info, target, infos, reversed_by)
                if reverses is not None and period is None:
                    period = reverses[1]
        elif info.cancels is not None:
            fail("cancels", "seule une annulation (kind annulation) annule une écriture")
        if problems or row.bad or info.contract is None or info.debit is None:
            return
        fields: dict[str, Any] = {
            "ref": ref,
            "contract": Link("contrats", info.contract),
            "date": day,
            "kind": kind,
            "debit": info.debit,
            "credit": info.credit,
            "period": period,
            "method": method,
            "reverses": Link("mouvements", reverses[0]) if reverses else None,
        }
        if kind == LedgerKind.APPEL:
            fields["rent_part"], fields["charges_part"] = _call_split(info.debit, contract)
            fields["replaces"] = None  # set by ``_call_chains``
        existing = self.entries.get(ref)
        if existing is None:
            item = self.plan(sheet, row, ref, None, fields)
            if kind == LedgerKind.APPEL:
                self.call_items[ref] = item
            return
        # Recorded: the same entry, or an error (the ledger is append-only).
        current = {
            "contract": Link("contrats", self.contract_ref.get(existing.contract_id, "")),
            "date": existing.date,
            "kind": existing.kind,
            "debit": existing.debit,
            "credit": existing.credit,
            "period": existing.period,
            "method": existing.method,
            "reverses": Link("mouvements", self.entry_key[existing.reverses_id])
            if existing.reverses_id
            else None,
        }
        columns = {
            "contract": "contrat",
            "date": "date",
            "kind": "kind",
            "debit": "amount",
            "credit": "amount",
            "period": "period",
            "method": "method",
            "reverses": "cancels",
        }
        for name, column in columns.items():
            if name in ("period", "method") and not self.has(sheet, column):
                continue
            if current[name] != fields[name]:
                self.error(sheet, row.number, column, LEDGER_IMMUTABLE)
                info.debit = info.credit = None  # its reversals are not checked against it
                return
        self.count(sheet, "unchanged")

    def _reversal_target(self, fail, ref, info: EntryInfo, target, infos, reversed_by):
        """The entry an ``annulation`` reverses: (key, period), after the checks."""
        reversal = infos.get(target)
        if reversal is not None:
            kind, contract, day = reversal.kind, reversal.contract, reversal.date
            debit, credit, period = reversal.debit, reversal.credit, reversal.period
        elif target in self.entries:
            entry = self.entries[target]
            kind, day, debit, credit = entry.kind, entry.date, entry.debit, entry.credit
            contract, period = self.contract_ref.get(entry.contract_id), entry.period
        else:
            fail(
                "cancels",
                f"écriture annulée inconnue « {target} » (ni dans la feuille mouvements, "
                "ni dans l’organisation)",
            )
            return None
        if kind == LedgerKind.ANNULATION:
            fail("cancels", "une annulation ne s’annule pas : saisissez une nouvelle écriture")
            return None
        if contract is not None and info.contract is not None and contract != info.contract:
            fail("cancels", f"l’écriture « {target} » est celle d’un autre contrat")
            return None
        if debit is None or credit is None:
            return None  # the target's own error is reported on its row
        amount = debit or credit
        if info.amount is not None and info.amount != amount:
            fail("amount", f"une annulation reprend le montant de l’écriture annulée ({amount})")
            return None
        if day is not None and info.date is not None and info.date < day:
            fail("date", f"l’annulation précède l’écriture annulée ({_d(day)})")
            return None
        # The reversal takes the opposite side of the entry it cancels.
        info.debit, info.credit = credit, debit
        reversed_by[target].append(info.row)
        return target, period

    # -- plans d'apurement --

    def check_plans(self) -> None:
        sheet = "plans_apurement"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        contracts_of: dict[str, list[tuple[str, ContractInfo]]] = defaultdict(list)
        for ref, info in self.contract_info.items():
            if info.household is not None and info.start is not None:
                contracts_of[info.household].append((ref, info))
        active: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            if household is None or row.bad:
                continue
            obj = self.plans.get(ref)
            start, total, monthly = (
                row.get("start_date"),
                row.get("total"),
                row.get("monthly_amount"),
            )
            status = row.get("status", RepaymentPlanStatus.ACTIF)
            if not self.has(sheet, "status") and obj is not None:
                status = obj.status
            problems = False
            if total <= 0:
                self.error(sheet, row.number, "total", "la dette à apurer est positive")
                problems = True
            if monthly <= 0:
                self.error(sheet, row.number, "monthly_amount", "la mensualité est positive")
                problems = True
            if problems:
                continue
            count = int((total / monthly).to_integral_value(rounding=ROUND_CEILING))
            if count > MAX_INSTALMENTS:
                self.error(
                    sheet,
                    row.number,
                    "monthly_amount",
                    f"avec cette mensualité, le plan durerait {count} mois "
                    f"(au plus {MAX_INSTALMENTS})",
                )
                continue
            contract = _contract_at(contracts_of.get(household, []), start)
            if obj is not None:
                current = self.contract_ref.get(obj.contract_id)
                if self.contract_info.get(current) and (
                    self.contract_info[current].household == household
                ):
                    contract = current  # the plan stays on its contract
            if contract is None:
                self.error(
                    sheet,
                    row.number,
                    "menage",
                    f"le ménage n’a aucun contrat de sous-location au {_d(start)}",
                )
                continue
            fields: dict[str, Any] = {
                "ref": ref,
                "contract": Link("contrats", contract),
                "signed_on": start,
                "debt": total,
                "instalment": monthly,
                "status": status,
            }
            if obj is None or obj.signed_on != start:
                fields["first_due_date"] = start
            if status == RepaymentPlanStatus.ACTIF:
                fields["closed_on"] = None
                active[contract].append((row.number, ref))
            elif obj is None or obj.closed_on is None:
                last_due = start + relativedelta(months=count - 1)
                fields["closed_on"] = max(start, min(self.today, last_due))
            reschedule = obj is not None and (
                obj.debt != total or obj.instalment != monthly or obj.signed_on != start
            )
            self.plan(
                sheet,
                row,
                ref,
                obj,
                fields,
                extra={"count": count, "reschedule": reschedule, "changed": reschedule},
            )
        for key, plan in self.plans.items():
            if key not in in_workbook and plan.status == RepaymentPlanStatus.ACTIF:
                active[self.contract_ref.get(plan.contract_id)].insert(0, (None, key))
        for contract, plans in active.items():
            for number, _ref in plans[1:]:
                if number is not None:
                    first = plans[0]
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} »"
                    self.error(
                        sheet,
                        number,
                        "status",
                        f"le contrat « {contract} » a déjà un plan actif ({where})",
                    )

    # -- accompagnements --

    def staff_emails(self, sheet: str, row: Row, column: str, emails: list[str]):
        """E-mails naming people: (user ids of the members, the others as written,
        normalised). A value that is no e-mail address is an error."""
        if not hasattr(self, "members"):
            # Members, former ones included: their history is theirs (a former member has an
            # account, which the link does not reactivate).
            self.members = {
                email.lower(): user_id
                for email, user_id in Membership.objects.values_list("user__email", "user_id")
            }
        users, others = [], []
        for email in emails:
            address = normalize_email(email)
            if not EMAIL.match(address) or len(address) > 254:
                self.error(
                    sheet, row.number, column, f"« {email[:80]} » n’est pas une adresse e-mail"
                )
                row.bad.add(column)
            elif address in self.members:
                users.append(self.members[address])
            else:
                others.append(address)
        return sorted(set(users)), sorted(set(others))

    def check_supports(self) -> None:
        sheet = "accompagnements"
        self.support_info: dict[str, tuple] = {
            key: (self.household_ref.get(s.household_id), s.signed_on, s.initial_end_date)
            for key, s in self.supports.items()
        }
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        objectives: dict[int, set[str]] = defaultdict(set)
        for objective in SupportObjective.objects.order_by().values_list("contract_id", "domain"):
            objectives[objective[0]].add(objective[1])
        per_household: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            start, end = row.get("start_date"), row.get("end_date")
            self.support_info[ref] = (household, start, end)
            if household is None or row.bad:
                continue
            obj = self.supports.get(ref)
            if end <= start:
                self.error(sheet, row.number, "end_date", "la fin doit suivre le début")
                continue
            info = self.household_info[household]
            present = (
                info.entry is not None
                and info.entry <= start
                and (info.exit is None or start < info.exit)
            )
            if info.valid and not present:
                self.error(
                    sheet,
                    row.number,
                    "start_date",
                    f"le ménage n’est pas présent dans le dispositif le {_d(start)} (entrée "
                    f"le {_d(info.entry)}"
                    + (f", sortie le {_d(info.exit)})" if info.exit else ")"),
                )
                continue
            per_household[household].append((row.number, ref))
            fields: dict[str, Any] = {
                "ref": ref,
                "household": Link("menages", household),
                "signed_on": start,
                "initial_end_date": end,
            }
            extra: dict[str, Any] = {}
            if self.has(sheet, "objectives"):
                have = objectives.get(obj.pk, set()) if obj else set()
                missing = sorted(set(row.get("objectives", [])) - have)
                extra = {"objectives": missing, "changed": bool(missing)}
            if self.has(sheet, "referent"):
                # An active member is linked; anyone else is kept as written (hors équipe);
                # empty: none recorded. Never a guess.
                written = [row.get("referent")] if row.get("referent") else []
                users, others = self.staff_emails(sheet, row, "referent", written)
                if row.bad:
                    continue
                fields["referent_id"] = users[0] if users else None
                fields["referent_email"] = others[0] if others else ""
            self.plan(sheet, row, ref, obj, fields, extra=extra)
        for key, support in self.supports.items():
            if key not in in_workbook:
                per_household[self.household_ref.get(support.household_id)].insert(0, (None, key))
        for household, contracts in per_household.items():
            for number, _ref in contracts[1:]:
                if number is not None:
                    first = contracts[0]
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} »"
                    self.error(
                        sheet,
                        number,
                        "menage",
                        f"le ménage « {household} » a déjà un contrat d’accompagnement "
                        f"({where}) : renouvelez-le par avenant",
                    )

    # -- interactions --

    def check_interactions(self) -> None:
        sheet = "interactions"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for interaction in Interaction.objects.order_by("pk"):
            key = (
                self.household_ref.get(interaction.household_id),
                interaction.date,
                interaction.kind,
            )
            existing[key].append(interaction)
        staff_of: dict[int, set[int]] = defaultdict(set)
        if self.has(sheet, "staff"):
            for interaction_id, user_id in InteractionStaff.objects.values_list(
                "interaction_id", "user_id"
            ):
                staff_of[interaction_id].add(user_id)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            # Members are linked; anyone else is kept as written (hors équipe).
            staff, others = self.staff_emails(sheet, row, "staff", row.get("staff", []))
            if household is None or row.bad:
                continue
            key = (household, row.get("date"), row.get("type"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields: dict[str, Any] = {
                "household": Link("menages", household),
                "date": key[1],
                "kind": key[2],
            }
            for column, name, default in (
                ("domains", "domains", []),
                ("duration_minutes", "duration_minutes", None),
                ("notes", "notes", ""),
            ):
                if self.has(sheet, column):
                    fields[name] = row.get(column, default)
            extra: dict[str, Any] = {}
            if self.has(sheet, "staff"):
                fields["staff_emails"] = others
                staff_set = set(staff)
                extra = {
                    "staff": sorted(staff_set),
                    "changed": obj is not None and staff_of.get(obj.pk, set()) != staff_set,
                }
            self.plan(sheet, row, f"{household}|{key[1]}|{key[2]}|{index}", obj, fields, extra)

    # -- ateliers --

    def check_workshops(self) -> None:
        sheet = "ateliers"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        participants_of: dict[int, set[str]] = defaultdict(set)
        for workshop_id, person_id in WorkshopParticipant.objects.values_list(
            "workshop_id", "person_id"
        ):
            participants_of[workshop_id].add(self.person_ref.get(person_id))
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            participants = row.get("participants", [])
            for person in participants:
                if person not in self.person_info:
                    self.error(
                        sheet,
                        row.number,
                        "participants",
                        f"participant·e inconnu·e « {person[:50]} » (ni dans la feuille "
                        "personnes, ni dans l’organisation)",
                    )
                    row.bad.add("participants")
            if row.bad:
                continue
            obj = self.workshops.get(ref)
            fields = {"ref": ref, "date": row.get("date"), "title": row.get("title")}
            changed = obj is not None and participants_of.get(obj.pk, set()) != set(participants)
            self.plan(
                sheet,
                row,
                ref,
                obj,
                fields,
                extra={"participants": participants, "changed": changed},
            )


@dataclass(frozen=True, slots=True)
class LandlordName:
    """A unit's landlord, by name (created with the kind its parc implies when unknown)."""

    name: str
    parc: str | None

    @property
    def kind(self) -> str:
        from housing.models import LandlordKind

        return LandlordKind.SOCIAL if self.parc == "public" else LandlordKind.PRIVE


def _valid_code(code: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", code) is not None


def _contract_at(contracts: list[tuple[str, ContractInfo]], day: datetime.date) -> str | None:
    """The household's contract running on ``day``, else its last one started before."""
    started = sorted(
        (item for item in contracts if item[1].start <= day), key=lambda item: item[1].start
    )
    for ref, info in reversed(started):
        if info.actual_end is None or day < info.actual_end:
            return ref
    return started[-1][0] if started else None


def _call_split(amount: Decimal, contract: ContractInfo | None) -> tuple[Decimal, Decimal]:
    """Rent and charges of an imported rent call: the contract's when the amount is a full
    month, else in the contract's proportion (charges rounded to the cent)."""
    if contract is None or contract.rent is None:
        return amount, Decimal("0")
    charges = contract.charges or Decimal("0")
    monthly = contract.rent + charges
    if amount == monthly or monthly <= 0:
        return (contract.rent, charges) if amount == monthly else (amount, Decimal("0"))
    part = (amount * charges / monthly).quantize(Decimal("0.01"))
    return amount - part, part


_SHEET_ORDER = {sheet.name: index for index, sheet in enumerate(spec.SHEETS)}


def _error_order(error: ReadError):
    return (_SHEET_ORDER.get(error.sheet, -1), error.row)


@contextlib.contextmanager
def without_gc() -> Iterator[None]:
    """Hundreds of thousands of rows in memory: the cyclic garbage collector would scan them
    again and again (a third of the time); nothing here makes cycles to collect."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def analyse(book: RawWorkbook, organisation, *, user=None, today=None) -> Analysis:
    """Every error of the workbook, or the plan of its import (run as ``organisation``)."""
    with without_gc():
        return Analyser(book, organisation, user=user, today=today).run()


__all__ = ["Analysis", "Item", "LandlordName", "Link", "analyse"]
