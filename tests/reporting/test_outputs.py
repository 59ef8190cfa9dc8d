"""The report's outputs from a figures dict (no database): PDF, XLSX, JSON, charts, labels."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reporting import charts, outputs
from tests.reporting.example_figures import example_figures

CONTEXT = {
    "organisation": "Association Alpha",
    "dispositif": "IML Réfugiés",
    "category": "IML spécialisée",
    "zone": "zone détendue",
    "funder": "DDETS — BOP 177",
    "places": 58,
}
NARRATIVE = {
    "mission": "Accompagner les bénéficiaires de la protection internationale.",
    "highlights": "Ouverture d’un sixième logement.",
    "difficulties": "",
    "perspectives": "=1+1 n’est pas une formule",
    "staff_etp": "0.70",
}


def pdf_text(content: bytes) -> str:
    """The PDF's text, French spaces (narrow and no-break) made plain."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\u202f\u00a0]", " ", text)


def workbook_tables(content: bytes) -> dict[str, dict[str, dict[str, list]]]:
    """{sheet: {table title: {code: [values…]}}}: a header row has « Code » in column B,
    the row above it is the table's title."""
    workbook = load_workbook(io.BytesIO(content))
    result: dict[str, dict[str, dict[str, list]]] = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        tables: dict[str, dict[str, list]] = {}
        current = None
        for index, row in enumerate(rows):
            if len(row) > 1 and row[1] == "Code":
                current = tables.setdefault(rows[index - 1][0], {})
                continue
            if current is not None and row and row[0] is not None and len(row) > 2:
                if row[1] is None:
                    current = None
                    continue
                current[row[1]] = [value for value in row[2:] if value is not None]
            elif not any(row):
                current = None
        result[sheet.title] = tables
    return result


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return outputs.render(example_figures(), "pdf", narrative=NARRATIVE, context=CONTEXT)


@pytest.fixture(scope="module")
def xlsx() -> bytes:
    return outputs.render(example_figures(), "xlsx", narrative=NARRATIVE, context=CONTEXT)


# --- JSON -----------------------------------------------------------------------------------


def test_json_is_the_figures_in_utf8_indented():
    figures = example_figures()
    content = outputs.render(figures, "json")
    assert json.loads(content.decode("utf-8")) == figures
    text = content.decode("utf-8")
    assert "Grand Amiénois" in text  # ensure_ascii=False
    assert '\n  "period": {\n    "start": "2023-11-01"' in text  # indent=2


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="csv"):
        outputs.render(example_figures(), "csv")


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_cover_contents_and_page_numbers(pdf):
    text = pdf_text(pdf)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 10
    first = re.sub(r"[\u202f\u00a0]", " ", pages[0].extract_text())
    for expected in (
        "Association Alpha",
        "Rapport d’activité",
        "IML Réfugiés (IML-R)",
        "IML spécialisée, zone détendue",
        "Période du 01/11/2023 au 31/10/2024",
    ):
        assert expected in first
    assert "Page 1 /" not in first  # no footer on the cover
    assert f"Page 3 / {len(pages)}" in text
    # The table of contents gives each section's page.
    toc = re.sub(r"[\u202f\u00a0]", " ", pages[1].extract_text())
    assert "Sommaire" in toc
    numbers = [int(n) for n in re.findall(r"^\d+\. .*?\.{3,} ?(\d+)$", toc, re.M)]
    assert len(numbers) == 12 and numbers == sorted(numbers) and numbers[0] == 3
    # The section a contents line points to starts on that page.
    rent_page = int(re.search(r"10\. Loyers \.+ ?(\d+)", toc).group(1))
    assert "10. Loyers" in pages[rent_page - 1].extract_text()


def test_pdf_shows_the_figures_formatted_in_french(pdf):
    text = pdf_text(pdf)
    for expected in (
        # Money, rates and months in French.
        "61 234,56 €",
        "1 234,56 €",
        "2 345,67 €",
        "54 894,76 €",
        "80 000,00 €",
        "89,6 %",
        "91,4 %",
        "14,2 mois",
        "23,0 mois",
        # Counts, in the tables of the seeds.
        "Ménages présents au 31/10/2024 : 17, soit 51 personnes (24 adultes et 27 enfants, "
        "dont 3 majeurs)",
        "Couple avec enfant(s) 7 19 2",
        "Logement autonome,",
        "Total 3 2 1",
        "Afghanistan 30",
        "CADA Le Pont Chalon-sur-Saône 4",
        "Prestations familiales + RSA 4",
        "Effectif (ETP) 0,70",
        # Narrative, quality.
        "Accompagner les bénéficiaires de la protection internationale.",
        "7 lacunes restantes",
    ):
        assert expected in text, expected


def test_pdf_has_every_section_and_the_charts(pdf):
    text = pdf_text(pdf)
    for title in (
        "1. Identité et activité",
        "2. Présentation par le service",
        "3. Orientations",
        "4. Parc de logements",
        "5. Ménages et personnes présents en fin de période",
        "6. Entrées de la période",
        "7. Sorties de la période",
        "8. Nationalités et sexe",
        "9. Accompagnement",
        "10. Loyers",
        "11. Financement",
        "12. Qualité des données",
    ):
        assert text.count(title) >= 2, title  # in the contents and as a heading
    # Charts are vector text: their captions and bar values are in the text layer.
    for caption in (
        "Pays d’origine des personnes accompagnées",
        "Âge des personnes présentes",
        "Composition des ménages présents",
        "Destination des ménages sortis",
        "Situation professionnelle des adultes",
    ):
        assert caption in text
    assert "30 (46 %)" in text  # Afghanistan: 30 of 65


def test_pdf_says_when_a_consistency_check_fails():
    figures = example_figures()
    figures["households"]["exited"] = 4
    text = pdf_text(outputs.render(figures, "pdf"))
    assert "NON RESPECTÉ" in text
    assert "1 contrôle de cohérence non respecté" in text


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_has_one_sheet_per_section_with_french_names(xlsx):
    workbook = load_workbook(io.BytesIO(xlsx))
    assert workbook.sheetnames == [
        "1. Identité",
        "2. Récit",
        "3. Orientations",
        "4. Parc de logements",
        "5. Présents en fin de période",
        "6. Entrées",
        "7. Sorties",
        "8. Nationalités et sexe",
        "9. Accompagnement",
        "10. Loyers",
        "11. Financement",
        "12. Qualité des données",
    ]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_xlsx_tables_match_the_figures(xlsx):
    figures = example_figures()
    tables = workbook_tables(xlsx)
    present = tables["5. Présents en fin de période"]
    for code, cell in figures["present_at_end"]["typology"].items():
        assert present["Composition des ménages"][code] == [
            cell["households"],
            cell["children"],
            cell["reinforced"],
        ]
    assert present["Composition des ménages"]["total"] == [17, 27, 4]
    assert {k: v[0] for k, v in present["Âge des personnes"].items() if k != "total"} == (
        figures["present_at_end"]["age_brackets"]
    )
    exits = tables["7. Sorties"]
    for code, cell in figures["exits"]["destinations"].items():
        assert exits["Destination des ménages sortis"][code] == list(cell.values())
    assert exits["Sinistralité à la sortie"]["multiple"] == [1]
    entries = tables["6. Entrées"]
    assert entries["Structures d’orientation"]["HUDA Le Pont Le Creusot"] == [3]
    nationalities = tables["8. Nationalités et sexe"]["Nationalités des personnes accompagnées"]
    assert {k: v[0] for k, v in nationalities.items() if k != "total"} == figures["nationalities"]
    assert tables["3. Orientations"]["Orientations du SIAO"]["received"] == [16]
    assert tables["4. Parc de logements"]["Parc en fin de période"]["occupancy_rate"] == [91.4]
    support = tables["9. Accompagnement"]
    assert support["Interactions par type"]["total"] == [291]
    assert support["Situation professionnelle des adultes accompagnés"]["inconnu"] == [1]


def test_xlsx_money_is_numeric_in_euros(xlsx):
    workbook = load_workbook(io.BytesIO(xlsx))
    sheet = workbook["10. Loyers"]
    cells = {row[1].value: row[2] for row in sheet.iter_rows(min_row=1) if len(row) > 2}
    assert float(cells["called"].value) == pytest.approx(61234.56)
    assert "€" in cells["called"].number_format
    assert float(cells["collected"].value) == pytest.approx(54894.76)
    assert cells["households_in_debt_at_end"].value == 3


def test_xlsx_keeps_the_narrative_as_text(xlsx):
    sheet = load_workbook(io.BytesIO(xlsx))["2. Récit"]
    texts = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}
    assert texts["Mission"].value.startswith("Accompagner les bénéficiaires")
    # A text starting with « = » is not turned into a formula.
    assert texts["Perspectives"].value == "=1+1 n’est pas une formule"
    assert texts["Perspectives"].data_type == "s"
    assert texts["Difficultés rencontrées"].value == "Non renseigné."


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    narrative = {**NARRATIVE, "mission": "Texte\x0bavec\x01 contrôles\navec retour"}
    content = outputs.render(example_figures(), "xlsx", narrative=narrative)
    sheet = load_workbook(io.BytesIO(content))["2. Récit"]
    assert sheet["B2"].value == "Texteavec contrôles\navec retour"


# --- Structure, labels, order ---------------------------------------------------------------


def _shuffled(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    return value


def test_key_order_of_the_figures_does_not_matter():
    """PostgreSQL's jsonb does not keep key order: the document is the same."""
    figures = example_figures()
    shuffled = _shuffled(figures, random.Random(4))

    def layout(data):
        return [
            (table.key, [(row.key, [cell.value for cell in row.cells]) for row in table.rows])
            for section in outputs.document_sections(data, with_charts=False)
            for table in section.tables
        ]

    assert layout(shuffled) == layout(figures)
    ages = next(
        table
        for section in outputs.document_sections(shuffled, with_charts=False)
        for table in section.tables
        if table.key == "present_at_end-ages"
    )
    assert [row.key for row in ages.rows] == ["0-17", "18-24", "25-39", "40-59", "60+", "total"]


def test_every_figure_of_a_table_names_its_path():
    figures = example_figures()
    sections = outputs.document_sections(figures, with_charts=False)
    paths = {
        cell.path: cell.value
        for _, _, row in outputs.flat_rows(sections)
        for cell in row.cells
        if cell.path
    }
    assert paths["exits.destinations.logement_social.bail_glissant"] == 2
    assert paths["present_at_end.typology.couple_avec_enfants.children"] == 19
    assert paths["entries.orienting_structures.CADA Le Pont Chalon-sur-Saône"] == 4
    assert paths["support.employment.emploi"] == 6
    assert paths["nationalities.AF"] == 30


def test_labels():
    assert outputs.resource_label("prestations_familiales+rsa") == "prestations familiales + RSA"
    assert outputs.resource_label("inconnu") == "non renseignées"
    assert outputs.age_label("18-24") == "18 à 24 ans"
    assert outputs.age_label("60+") == "60 ans et plus"
    assert outputs.country_label("ER") == "Érythrée"
    assert outputs.country_label("inconnu") == "non renseignée"
    assert outputs.fr_decimal(12.25) == "12,3"
    assert outputs.fr_int(65432) == "65\u202f432"
    assert (
        outputs.path_label("exits.destinations.logement_social.bail_glissant")
        == "Sorties de la période — Destination des ménages sortis — Logement autonome, "
        "bailleur social (dont bail glissant)"
    )
    assert outputs.path_label("nationalities.SD").endswith("— Soudan")
    assert outputs.path_label("n.importe.quoi") == "n.importe.quoi"


@pytest.mark.parametrize(
    ("path", "label"),
    [
        # The first row showing a figure names it, with its column when the table has several.
        ("housing.units_at_end", "Identité et activité — Identité du dispositif — "
         "Logements en fin de période"),
        ("persons.entered", "Identité et activité — Activité de la période — Entrés (Personnes)"),
        ("housing.returned_by_reason.glissement_bail",
         "Parc de logements — Mouvements de la période — Dont glissement de bail"),
        # A breakdown's code, whatever the code; a cell of several figures: its row.
        ("housing.by_sector_at_end.Nord", "Parc de logements — Logements par secteur en fin de "
         "période — Nord"),
        ("entries.age_brackets.21-25", "Entrées de la période — Âge des personnes — 21 à 25 ans"),
        ("present_at_end.typology.femme_seule", "Ménages et personnes présents en fin de période "
         "— Composition des ménages — Femme seule"),
        ("exits.stay_length.m13_18", "Sorties de la période — Durée de séjour — De 13 à 18 mois"),
        # What no row shows: the path itself.
        ("present_at_end.stay_length.m13_18", "present_at_end.stay_length.m13_18"),
        ("present_at_end.typology.femme_seule.nope", "present_at_end.typology.femme_seule.nope"),
        ("housing.places_at_end", "housing.places_at_end"),
        ("rent.collection_rate", "Loyers — Loyers et impayés — Taux de recouvrement"),
    ],
)  # fmt: skip
def test_path_labels(path, label):
    assert outputs.path_label(path) == label


def test_previous_period_is_matched_by_key():
    current = example_figures()
    previous = example_figures()
    previous["present_at_end"]["households"] = 11
    del previous["nationalities"]["UA"]
    sections = outputs.document_sections(current, with_charts=False)
    outputs.attach_previous(sections, outputs.document_sections(previous, with_charts=False))
    rows = {(table.key, row.key): row for _, table, row in outputs.flat_rows(sections)}
    assert rows[("present_at_end-summary", "households")].previous.value == 11
    assert rows[("nationalities", "UA")].previous.value == 0  # absent the year before
    assert rows[("nationalities", "AF")].previous.value == 30
    assert rows[("identity", "organisation")].previous is None  # no comparison of texts


# --- Charts ---------------------------------------------------------------------------------


def test_chart_is_plain_escaped_svg():
    svg = charts.bar_chart([("<script>alert(1)</script>", 3), ("Soudan", 1)], title="Pays & co")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg  # the page's Content-Security-Policy forbids inline styles
    assert 'aria-label="Pays &amp; co"' in svg
    assert "3 (75\u00a0%)" in svg
    assert svg.count("<rect") == 2


def test_empty_chart_says_so():
    assert "Aucune donnée" in charts.bar_chart([("Afghanistan", 0)], title="Pays")


def test_top_items_groups_the_rest_and_keeps_unknown_last():
    items = [("A", 5), ("B", 4), ("C", 3), ("D", 2), ("Non renseignée", 1), ("E", 0)]
    assert charts.top_items(items, keep=3, others_label="Autres", last=("Non renseignée",)) == [
        ("A", 5),
        ("B", 4),
        ("Autres", 5),
        ("Non renseignée", 1),
    ]
