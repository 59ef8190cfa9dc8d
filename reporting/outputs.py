"""The report's outputs: PDF (WeasyPrint), XLSX workbook (openpyxl) and JSON, from the figures
in the JSON form of shared/docs/annual-report.md.

One description of the document (``document_sections``: sections, tables, rows, cells, with
their French labels and the dotted path of each figure) feeds the PDF, the workbook and the
report page, so that the three always say the same thing. Nothing here reads the database:
the figures, the narrative copy and the identity (``context``) are passed in, which is what
lets a frozen version be rendered from what it stored.

Key order is never relied on: PostgreSQL's ``jsonb`` does not keep it. Coded breakdowns follow
the order of their codes (iml/codes.py), age brackets their lower bound, open-ended breakdowns
(resources, structures, nationalities, sectors) their count; « non renseigné » comes last.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import capfirst

from iml.pdf import html_to_pdf
from reporting.document import (  # noqa: F401
    FORMATS,
    Row,
    Section,
    Table,
    _dig,
    age_label,
    attach_previous,
    country_label,
    fr_decimal,
    fr_int,
    period_label,
    resource_label,
)
from reporting.figure_labels import path_label  # noqa: F401
from reporting.sections import document_sections, gaps_sentence

# --- Rendering ------------------------------------------------------------------------------


def render(
    figures: dict,
    fmt: str,
    *,
    narrative: dict | None = None,
    context: dict | None = None,
    rehousing: dict | None = None,
) -> bytes:
    """The report as ``fmt`` ("pdf", "xlsx" or "json") bytes. ``rehousing``: the figures of
    « Parcours de relogement » (``reporting.rehousing_section.rehousing_figures``), a section
    of the PDF and the workbook only: the JSON form is the figures, and nothing else."""
    if fmt == "json":
        return json.dumps(figures, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(figures, narrative=narrative, context=context, rehousing=rehousing)
    if fmt == "xlsx":
        return render_xlsx(figures, narrative=narrative, context=context, rehousing=rehousing)
    raise ValueError(f"Unknown format {fmt!r}: expected one of {FORMATS}")


def render_pdf(
    figures: dict,
    *,
    narrative: dict | None = None,
    context: dict | None = None,
    rehousing: dict | None = None,
) -> bytes:
    narrative = narrative or {}
    context = context or {}
    with translation.override("fr"):
        sections = document_sections(
            figures, narrative=narrative, context=context, rehousing=rehousing
        )
        period = figures.get("period", {})
        html = render_to_string(
            "documents/reporting/report.html",
            {
                "sections": sections,
                "figures": figures,
                "narrative": narrative,
                "context": context,
                "period": period_label(period["start"], period["end"]) if period else "",
                "gaps_sentence": gaps_sentence(_dig(figures, "quality.gaps", 0)),
                "generated_at": context.get("generated_at") or datetime.date.today(),
                "running_title_css": css_string(
                    " — ".join(
                        part
                        for part in (
                            context.get("organisation"),
                            f"Rapport d’activité {figures.get('dispositif', '')}",
                            period_label(period["start"], period["end"]) if period else "",
                        )
                        if part
                    )
                ),
            },
        )
    return html_to_pdf(html)


def css_string(text: str) -> str:
    """``text`` for a double-quoted CSS string: quotes, backslashes and controls escaped."""
    return "".join(
        f"\\{ord(char):x} " if char in '"\\' or ord(char) < 0x20 or char in "<>" else char
        for char in str(text)
    )


# Characters a workbook cannot hold (openpyxl refuses them): the controls below 0x20 but tab,
# line feed and carriage return.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _sheet_title(name: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "-", name)[:31]
    candidate, index = title, 2
    while candidate in used:
        suffix = f" ({index})"
        candidate = title[: 31 - len(suffix)] + suffix
        index += 1
    used.add(candidate)
    return candidate


def render_xlsx(
    figures: dict,
    *,
    narrative: dict | None = None,
    context: dict | None = None,
    rehousing: dict | None = None,
) -> bytes:
    """One sheet per section; each table: a title row, a header row (label, code, values),
    its rows. Numbers are numbers (money in euros with two decimals), codes are those of the
    JSON form."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    narrative = narrative or {}
    context = context or {}
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E8E8E8")
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    with translation.override("fr"):
        sections = document_sections(
            figures, narrative=narrative, context=context, with_charts=False, rehousing=rehousing
        )
    for section in sections:
        sheet = workbook.create_sheet(_sheet_title(section.sheet, used))
        line = 1

        _put(sheet, line, 1, f"{section.number}. {section.title}", font=Font(bold=True, size=13))
        line += 1
        for paragraph in section.paragraphs:
            _put(sheet, line, 1, paragraph)
            line += 1
        for heading, text in section.texts:
            _put(sheet, line, 1, heading, font=bold, wrap=True)
            _put(sheet, line, 2, text or "Non renseigné.", wrap=True)
            line += 1
        for table in section.tables:
            line += 1
            _put(sheet, line, 1, table.title, font=Font(bold=True, size=12))
            line += 1
            for column, name in enumerate([table.label_header, "Code", *table.columns], 1):
                _put(sheet, line, column, name, font=bold, fill=header_fill)
            line += 1
            for row in table.rows:
                _put(sheet, line, 1, capfirst(row.label), font=bold if row.total else None)
                _put(sheet, line, 2, row.key)
                for column, cell in enumerate(row.cells, 3):
                    _put(
                        sheet,
                        line,
                        column,
                        cell.spreadsheet_value(),
                        font=bold if row.total else None,
                        fmt=_NUMBER_FORMATS.get(cell.kind),
                    )
                line += 1
            if table.note:
                _put(sheet, line, 1, table.note, font=Font(italic=True))
                line += 1
        sheet.column_dimensions["A"].width = 55
        sheet.column_dimensions["B"].width = 30 if section.key != "recit" else 100
        for letter in "CDE":
            sheet.column_dimensions[letter].width = 18
    period = figures.get("period", {})
    workbook.properties.title = "Rapport d’activité" + (
        f" {figures.get('dispositif', '')} {period_label(period['start'], period['end'])}"
        if period
        else ""
    )
    workbook.properties.creator = str(context.get("organisation") or "IML")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(
    sheet, row: int, column: int, value: Any, *, font=None, fill=None, fmt=None, wrap: bool = False
) -> None:
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # A text stays a text, even when it starts with « = » (no formula injection).
        cell.data_type = "s"
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    if fmt:
        cell.number_format = fmt
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


_NUMBER_FORMATS = {
    "count": "0",
    "money": '#,##0.00 "€"',
    "etp": "0.00",
    "rate": '0.0 "%"',
    "months": '0.0 "mois"',
    "decimal": "0.0",
}


def flat_rows(sections: Iterable[Section]) -> Iterable[tuple[Section, Table, Row]]:
    for section in sections:
        for table in section.tables:
            for row in table.rows:
                yield section, table, row
