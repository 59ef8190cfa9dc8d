"""The run of a validation: read every row, load the organisation's data, check the sheets in
their order (each sheet may refer to the ones before it), then sort the errors by sheet and
row. ``Analyser`` gathers the checks of every sheet family.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

from workbook import spec, values
from workbook.reader import RawWorkbook, ReadError
from workbook.validate.households import HouseholdChecks
from workbook.validate.ledger import LedgerChecks
from workbook.validate.organisation import OrganisationChecks
from workbook.validate.plan import Analysis, Row
from workbook.validate.rehousing import RehousingChecks
from workbook.validate.support import SupportChecks
from workbook.validate.tenancy import TenancyChecks


class Analyser(
    OrganisationChecks,
    HouseholdChecks,
    TenancyChecks,
    LedgerChecks,
    SupportChecks,
    RehousingChecks,
):
    """One validation of ``book`` as ``organisation`` (``run`` once)."""

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

    # -- the organisation's data --

    def load(self) -> None:
        self.load_organisation()
        self.load_households()
        self.load_tenancy()
        self.load_support()
        self.load_rehousing()

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
        self.check_demands()
        self.check_proposals()
        self.check_measures()
        self.check_follow_ups()
        self.result.errors.sort(key=_error_order)
        return self.result


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
