"""What a figure of the report is, in French, from its dotted path in the JSON form: the title
of the drill-down page (« Sorties de la période — Destination des ménages sortis — Logement
autonome, bailleur social (dont bail glissant) »).

The labels have one home, the sections (``reporting.sections``): the table of labels by path is
built once from the document they lay out without figures. That document holds every row whose
figure is always there (facts, totals) and, for each breakdown, its path and how it labels a
code (``Table.codes_path``, ``Table.code_label``): the row of any code is named without
listing the codes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.utils.text import capfirst

from reporting.document import Section, Table
from reporting.sections import document_sections


@dataclass(frozen=True)
class _Breakdown:
    """Where a breakdown's rows are in the document and how they are labelled."""

    order: int
    section: Section
    table: Table


@dataclass(frozen=True)
class _Labels:
    # Path → (order in the document, label): a figure shown by a fixed row, or a path whose
    # figures a row shows (``present_at_end.typology`` → its first row).
    fixed: dict[str, tuple[int, str]]
    breakdowns: dict[str, _Breakdown]


def _name(section: Section, table: Table, label: str, column: int | None = None) -> str:
    suffix = f" ({table.columns[column]})" if column is not None and len(table.columns) > 1 else ""
    return f"{section.title} — {table.title} — {label}{suffix}"


@functools.cache
def _labels() -> _Labels:
    """The labels of the document, in its order: the first row showing a figure names it."""
    fixed: dict[str, tuple[int, str]] = {}
    breakdowns: dict[str, _Breakdown] = {}
    order = 0
    for section in document_sections({}, with_charts=False, with_checks=False):
        for table in section.tables:
            # A breakdown's code rows come before its total row.
            if table.codes_path is not None:
                breakdowns.setdefault(table.codes_path, _Breakdown(order, section, table))
                order += 1
            for row in table.rows:
                label = "Total" if row.total else capfirst(row.label)
                for index, cell in enumerate(row.cells):
                    if not cell.path:
                        continue
                    fixed.setdefault(cell.path, (order, _name(section, table, label, index)))
                    # The paths this figure is under: the row names them too.
                    for end, char in enumerate(cell.path):
                        if char == ".":
                            fixed.setdefault(cell.path[:end], (order, _name(section, table, label)))
                order += 1
    return _Labels(fixed, breakdowns)


def _breakdown_label(labels: _Labels, path: str) -> tuple[int, str] | None:
    """The row of a breakdown's code naming ``path``, with its order in the document."""
    for end, char in enumerate(path):
        found = labels.breakdowns.get(path[:end]) if char == "." else None
        if found is None:
            continue
        table = found.table
        code, dot, measure = path[end + 1 :].partition(".")
        if table.codes is not None and code not in table.codes:
            continue
        label = capfirst(table.code_label(code))
        if not dot:
            # The code's one figure, or the code's row of several figures.
            column = None if table.measures else 0
            return found.order, _name(found.section, table, label, column)
        if measure in table.measures:
            return found.order, _name(found.section, table, label, table.measures.index(measure))
    return None


def path_label(path: str) -> str:
    """What the figure at ``path`` is, in French: « section — table — row », with the column
    when the table has several; the path itself when no row shows it.

    ``path`` may also name what a row's figures are under (``…typology.femme_seule`` for the
    cells of that row): the first row showing them."""
    labels = _labels()
    found = [
        label
        for label in (labels.fixed.get(path), _breakdown_label(labels, path))
        if label is not None
    ]
    return min(found)[1] if found else path
