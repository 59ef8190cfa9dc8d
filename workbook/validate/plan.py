"""The plan of an import and the machinery every sheet's checks share.

``Analysis`` is what the validation gives back: the errors, else the ``Item`` of each row to
create or update, sheet by sheet, whose foreign keys are ``Link`` (a row known by its key, in
the workbook or the organisation) or ``LandlordName`` (a landlord known by its name).
``Planner`` is the base of the analyser (``workbook.validate.runner.Analyser``): it records
errors, matches rows (``unique``, ``known``) and plans them (``plan``: created, updated when
something changes, else unchanged).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from housing.models import PARC_OF_LANDLORD_KIND, LandlordKind
from workbook import spec
from workbook.reader import RawWorkbook, ReadError

FOREIGN_KEYS = {"landlord", "room", "reverses", "dispositif", "household", "unit", "contract"}
# The landlord kind a unit's parc implies (``housing.models.PARC_OF_LANDLORD_KIND``, reversed).
_LANDLORD_KIND_OF_PARC = {parc: kind for kind, parc in PARC_OF_LANDLORD_KIND.items()}


@dataclass(frozen=True, slots=True)
class Link:
    """A foreign key to a row of ``sheet`` known by ``key`` (new rows get their pk when
    written)."""

    sheet: str
    key: str


@dataclass(frozen=True, slots=True)
class LandlordName:
    """A unit's landlord, by name (created with the kind its parc implies when unknown)."""

    name: str
    parc: str | None

    @property
    def kind(self) -> str:
        return _LANDLORD_KIND_OF_PARC.get(self.parc, LandlordKind.PRIVE)


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


def _key(obj, ref_field: str = "ref") -> str:
    """The key of a row of the organisation: its ref, else its public identifier."""
    return getattr(obj, ref_field) or str(obj.public_id)


class Planner:
    """Errors, matching and planning of rows; the sheets' checks build on it."""

    # Set by the organisation's checks (``organisation.load_organisation``).
    landlord_names: dict[int, str]

    def __init__(self, book: RawWorkbook, organisation, *, user=None, today=None):
        self.book = book
        self.organisation = organisation
        self.user = user
        self.today: datetime.date = today or timezone.localdate()
        self.result = Analysis(errors=list(book.errors))
        self.rows: dict[str, list[Row]] = {}
        self.present: dict[str, set[str]] = {}
        self.seen: dict[str, dict[str, int]] = defaultdict(dict)  # sheet -> key -> row

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        self.result.errors.append(ReadError(sheet, row, column, message))

    def has(self, sheet: str, column: str) -> bool:
        return column in self.present.get(sheet, ())

    def sheet_rows(self, name: str) -> list[Row]:
        return self.rows.get(name, [])

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
