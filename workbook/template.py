"""The template workbook, in this order:

- a ``notice`` sheet: how to fill the workbook, then every column of every sheet (code, French
  label, required or not, format, help);
- every sheet of the format with its header row of bare codes (the contract: required columns
  in bold, each header commented with its French label, then its format);
- a ``codes`` sheet listing every code list with its French labels.

The import ignores the ``notice`` and ``codes`` sheets, so a filled template imports as is."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font

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

CODE_LIST_NAMES = {choices: name for name, choices in spec.CODE_LISTS}

NOTICE_TITLE = "Classeur d’échange IML : mode d’emploi"

# One short paragraph, a sentence a line (a line of text overflows into the empty cells
# beside it, where a wrapped merged cell would need a row height guessed for each program).
NOTICE_TEXT = (
    "Remplissez une feuille par sujet, une ligne par élément ; une feuille dont vous n’avez pas "
    "les données peut être supprimée, une colonne facultative laissée vide ou supprimée.",
    "La ligne 1 de chaque feuille porte les codes des colonnes : gardez-les tels quels (le "
    "tableau ci-dessous donne leur libellé en français ; les commentaires des en-têtes aussi).",
    "Les valeurs codées (sexe, typologie, motifs…) s’écrivent avec les codes de la feuille "
    "« codes ».",
    "Dates : AAAA-MM-JJ ou JJ/MM/AAAA. Montants en euros, avec un point ou une virgule "
    "(512.40 ou 512,40). Listes : valeurs séparées par « ; ».",
    "L’import écrit tout ou rien : à la moindre erreur, rien n’est écrit et toutes les erreurs "
    "sont listées (feuille, ligne, colonne).",
    "Importer une seconde fois le même classeur ne change rien : les lignes déjà importées sont "
    "retrouvées (par leur colonne ref quand la feuille en a une, code pour les dispositifs), "
    "jamais dupliquées.",
    "Les feuilles « notice » et « codes » sont ignorées par l’import.",
)

NOTICE_HEADER = ("feuille", "colonne", "libellé", "obligatoire", "format", "aide")


def column_format(column: spec.Column) -> str:
    text = KIND_HELP[column.kind]
    if column.choices is not None:
        text = text.replace("« codes »", f"« codes », liste « {CODE_LIST_NAMES[column.choices]} »")
    if column.max_length and column.kind == spec.TEXT:
        text += f", {column.max_length} caractères au plus"
    return text


def column_help(column: spec.Column) -> str:
    """The header's comment: « label — Obligatoire. format. help »."""
    parts = ["Obligatoire." if column.required else "Facultatif.", column_format(column) + "."]
    if column.help:
        parts.append(column.help)
    return f"{column.label} — {' '.join(parts)}"


def notice_rows() -> list[list[str]]:
    """``[sheet, column, label, required, format, help]`` for every column of every sheet."""
    return [
        [
            sheet.name,
            column.name,
            column.label,
            "oui" if column.required else "non",
            column_format(column),
            column.help,
        ]
        for sheet in spec.SHEETS
        for column in sheet.columns
    ]


def code_rows() -> list[list[str]]:
    """``[list, code, label, columns]`` for every code of every list."""
    rows = []
    for name, choices in spec.CODE_LISTS:
        used = ", ".join(spec.columns_using(choices))
        for value, label in choices.choices:
            rows.append([name, value, str(label), used])
    return rows


def _notice_sheet(book: Workbook, bold: Font) -> None:
    notice = book.create_sheet(spec.NOTICE_SHEET)
    notice.append([NOTICE_TITLE])
    notice["A1"].font = Font(bold=True, size=14)
    for line in NOTICE_TEXT:
        notice.append([line])
    notice.append([])
    notice.append(list(NOTICE_HEADER))
    header_row = notice.max_row
    for cell in notice[header_row]:
        cell.font = bold
    top = Alignment(vertical="top", wrap_text=True)
    for row in notice_rows():
        notice.append(row)
        for cell in notice[notice.max_row]:
            cell.alignment = top
    for letter, width in zip("ABCDEF", (24, 22, 34, 12, 40, 70), strict=True):
        notice.column_dimensions[letter].width = width
    notice.auto_filter.ref = f"A{header_row}:F{notice.max_row}"  # e.g. one sheet's columns


def _data_sheet(book: Workbook, sheet: spec.Sheet, bold: Font) -> None:
    worksheet = book.create_sheet(sheet.name)
    for index, column in enumerate(sheet.columns, start=1):
        cell = worksheet.cell(row=1, column=index, value=column.name)
        if column.required:
            cell.font = bold
        text = column_help(column)
        cell.comment = Comment(text, "IML", width=300, height=60 + 15 * (len(text) // 45))
        worksheet.column_dimensions[cell.column_letter].width = max(14, len(column.name) + 4)
    worksheet.freeze_panes = "A2"


def _codes_sheet(book: Workbook, bold: Font) -> None:
    codes = book.create_sheet(spec.CODES_SHEET)
    codes.append(["liste", "code", "libellé", "colonnes"])
    for cell in codes[1]:
        cell.font = bold
    for row in code_rows():
        codes.append(row)
    for letter, width in zip("ABCD", (24, 26, 60, 50), strict=True):
        codes.column_dimensions[letter].width = width
    codes.freeze_panes = "A2"


def template_bytes() -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    _notice_sheet(book, bold)
    for sheet in spec.SHEETS:
        _data_sheet(book, sheet, bold)
    _codes_sheet(book, bold)
    book.active = 0  # opens on the notice
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
