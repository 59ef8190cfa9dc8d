"""The template workbook: every sheet with its header row (required columns in bold, each
header commented with its format), and a ``codes`` sheet listing every code list with its
French labels. The import ignores the ``codes`` sheet, so a filled template imports as is."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from workbook import spec

KIND_HELP = {
    spec.TEXT: "texte",
    spec.DATE: "date AAAA-MM-JJ ou JJ/MM/AAAA",
    spec.MONTH: "mois AAAA-MM",
    spec.MONEY: "montant en euros (512.40 ou 512,40)",
    spec.AMOUNT: "montant en euros, positif (une régularisation négative est un crédit)",
    spec.INT: "nombre entier",
    spec.BOOL: "true / false (oui / non, 1 / 0)",
    spec.CODE: "un code de la feuille « codes »",
    spec.CODES: "codes de la feuille « codes », séparés par « ; »",
    spec.LIST: "valeurs séparées par « ; »",
    spec.COUNTRY: "pays, code ISO à deux lettres (FR, AF, SD…)",
    spec.POSTCODE: "code postal, 5 chiffres",
}


def column_help(column: spec.Column) -> str:
    parts = ["Obligatoire." if column.required else "Facultatif.", KIND_HELP[column.kind] + "."]
    if column.max_length and column.kind == spec.TEXT:
        parts.append(f"{column.max_length} caractères au plus.")
    if column.help:
        parts.append(column.help)
    return " ".join(parts)


def code_rows() -> list[list[str]]:
    """``[list, code, label, columns]`` for every code of every list."""
    rows = []
    for name, choices in spec.CODE_LISTS:
        used = ", ".join(spec.columns_using(choices))
        for value, label in choices.choices:
            rows.append([name, value, str(label), used])
    return rows


def template_bytes() -> bytes:

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in spec.SHEETS:
        worksheet = book.create_sheet(sheet.name)
        for index, column in enumerate(sheet.columns, start=1):
            cell = worksheet.cell(row=1, column=index, value=column.name)
            if column.required:
                cell.font = bold
            cell.comment = Comment(column_help(column), "IML")
            worksheet.column_dimensions[cell.column_letter].width = max(14, len(column.name) + 4)
        worksheet.freeze_panes = "A2"
    codes = book.create_sheet(spec.CODES_SHEET)
    codes.append(["liste", "code", "libellé", "colonnes"])
    for cell in codes[1]:
        cell.font = bold
    for row in code_rows():
        codes.append(row)
    for letter, width in zip("ABCD", (24, 26, 60, 50), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
