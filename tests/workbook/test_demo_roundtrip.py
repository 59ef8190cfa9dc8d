"""The round trip an operator relies on, on the two demo organisations (years of history
written by the software itself: rent calls, exits, reversals, plans, visits by staff who are
members there): the organisation's export imports into an empty organisation with exit 0 and
gives the same annual reports figure for figure; exported again, the same rows; imported back
into the organisation it came from, nothing changes."""

import datetime

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from iml.models import Dispositif, Organisation
from iml.rls import organisation_transaction
from reporting.compute import compute_report
from tests.workbook.helpers import changed
from workbook.exporter import export_rows
from workbook.importer import import_workbook
from workbook.reader import read_path

D = datetime.date
TODAY = "2026-12-07"


def rows_of(organisation) -> dict[str, list[list[str]]]:
    with organisation_transaction(organisation):
        rows = export_rows(organisation)
    return {sheet: sorted(rows[sheet]) for sheet in rows}


def reports(organisation) -> dict[tuple, dict]:
    """Every yearly report of the organisation's dispositif since 2023."""
    with organisation_transaction(organisation):
        dispositif = Dispositif.objects.get()
        month = dispositif.report_start_month
        result = {}
        for year in range(2023, 2027):
            start = D(year - (1 if month > 1 else 0), month, 1)
            end = D(start.year + 1, start.month, 1) - datetime.timedelta(days=1)
            result[(start, end)] = compute_report(dispositif, start, end)
    return result


@pytest.mark.django_db
@freeze_time(f"{TODAY} 10:00", tick=True)
@pytest.mark.parametrize("slug", ["le-pont", "apremis"])
def test_a_demo_organisation_moves_into_an_empty_one_and_back(slug, tmp_path, capsys):
    call_command("seed_demo")
    source = Organisation.objects.get(slug=slug)
    folder = tmp_path / "export"
    call_command("export_workbook", f"{folder}/", "--organisation", slug)
    call_command(
        "import_workbook",
        str(folder),
        "--organisation",
        f"copie-{slug}",
        "--create-organisation",
        f"Copie de {source.name}",
    )  # fmt: skip  (an error would raise: exit status 1)
    copy = Organisation.objects.get(slug=f"copie-{slug}")
    # The road out travels too (demands, proposals, measures, follow-ups after an exit).
    road_out = ("demandes_logement", "propositions", "mesures", "suivis_sortie")
    assert all(rows_of(source)[sheet] for sheet in road_out)
    # Figure for figure, every year.
    assert reports(copy) == reports(source)
    # The same rows again, staff e-mails included (kept as written: no member there).
    assert rows_of(copy) == rows_of(source)
    # Back into the organisation it came from: nothing changes.
    book = read_path(folder)
    with organisation_transaction(source):
        assert changed(import_workbook(book, source)) == 0
    assert rows_of(source) == rows_of(copy)


@pytest.mark.django_db
@freeze_time(f"{TODAY} 10:00", tick=True)
def test_a_generated_five_year_history_moves_into_an_empty_organisation(tmp_path):
    """A synthetic five-year history with what old spreadsheets hold: missing orientation
    dates, withdrawals without reason, duplicated calls reversed, calls reversed after late
    exits, a former colleague named in visits and as referent."""
    from tests.factories import MembershipFactory, OrganisationFactory
    from workbook.bench import STAFF_EMAIL, synthetic_workbook

    folder = synthetic_workbook(120, seed=11, folder=tmp_path / "history", years=5)
    text = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.csv"))
    assert "ancienne.collegue@iml.example" in text and ",annulation," in text
    first = OrganisationFactory(slug="historique")
    MembershipFactory(organisation=first, user__email=STAFF_EMAIL, role="head")
    with organisation_transaction(first):
        import_workbook(read_path(folder), first)
    export = tmp_path / "export"
    call_command("export_workbook", f"{export}/", "--organisation", "historique")
    call_command("import_workbook", str(export), "--organisation", "copie-historique",
                 "--create-organisation", "Copie de l’historique")  # fmt: skip
    copy = Organisation.objects.get(slug="copie-historique")
    for dispositif in ("IML-1", "IML-2", "IML-3"):
        for year in range(2022, 2027):
            start, end = D(year, 1, 1), D(year, 12, 31)
            figures = []
            for organisation in (first, copy):
                with organisation_transaction(organisation):
                    figures.append(
                        compute_report(Dispositif.objects.get(code=dispositif), start, end)
                    )
            assert figures[0] == figures[1], (dispositif, year)
    assert rows_of(copy) == rows_of(first)
    with organisation_transaction(first):
        assert changed(import_workbook(read_path(export), first)) == 0
