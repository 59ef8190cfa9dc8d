"""Import then export gives the same workbook back; every way of writing it imports alike."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from households.models import Person
from iml.rls import organisation_transaction
from support.models import Interaction
from tests.factories import MembershipFactory, OrganisationFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.workbook.builders import (
    base_sheets,
    write_csv_folder,
    write_xlsx,
    write_zip,
    xlsx_rows,
)
from tests.workbook.helpers import changed, run, snapshot
from workbook import spec
from workbook.exporter import export_rows
from workbook.importer import import_workbook
from workbook.reader import read_path


def exported(organisation) -> dict[str, list[list[str]]]:
    with organisation_transaction(organisation):
        rows = export_rows(organisation)
    return {sheet: sorted(rows[sheet]) for sheet in rows}


def expected(sheets=None) -> dict[str, list[list[str]]]:
    sheets = sheets or base_sheets()
    return {name: sorted(rows[1:]) for name, rows in sheets.items()}


def french(sheets, *, booleans=("oui", "non")):
    """The base workbook as a French spreadsheet writes it: DD/MM/YYYY, decimal commas."""
    out = {}
    for name, rows in sheets.items():
        columns = [spec.SHEETS_BY_NAME[name].columns_by_name[h] for h in rows[0]]
        body = []
        for row in rows[1:]:
            cells = []
            for column, value in zip(columns, row, strict=True):
                if value and column.kind == spec.DATE:
                    value = datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
                elif value and column.kind in (spec.MONEY, spec.AMOUNT):
                    value = value.replace(".", ",")
                elif value and column.kind == spec.BOOL:
                    value = booleans[0] if value == "true" else booleans[1]
                cells.append(value)
            body.append(cells)
        out[name] = [rows[0], *body]
    return out


def typed(sheets):
    """The base workbook with spreadsheet cells: dates, numbers, booleans."""
    out = {}
    for name, rows in sheets.items():
        columns = [spec.SHEETS_BY_NAME[name].columns_by_name[h] for h in rows[0]]
        body = []
        for row in rows[1:]:
            cells = []
            for column, value in zip(columns, row, strict=True):
                if value and column.kind == spec.DATE:
                    value = datetime.date.fromisoformat(value)
                elif value and column.kind in (spec.MONEY, spec.AMOUNT):
                    value = float(value)
                elif value and column.kind == spec.INT:
                    value = int(value)
                elif value and column.kind == spec.BOOL:
                    value = value == "true"
                elif value == "":
                    value = None
                cells.append(value)
            body.append(cells)
        out[name] = [rows[0], *body]
    return out


def test_import_then_export_gives_the_workbook_back(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    assert exported(org_a) == expected()


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom", "booleans", "archive"),
    [
        ("cp1252", ";", False, ("oui", "non"), False),
        ("utf-8", ";", True, ("1", "0"), False),
        ("utf-8", ",", False, ("OUI", "NON"), True),
    ],
)
def test_french_csv_variants_import_alike(
    org_a, staff_a, tmp_path, encoding, delimiter, bom, booleans, archive
):
    sheets = french(base_sheets(), booleans=booleans)
    options = {"encoding": encoding, "delimiter": delimiter, "bom": bom}
    if archive:
        path = write_zip(tmp_path / "classeur.zip", sheets, **options)
    else:
        path = write_csv_folder(tmp_path / "csv", sheets, **options)
    with organisation_transaction(org_a):
        import_workbook(read_path(path), org_a)
    assert exported(org_a) == expected()


def test_xlsx_cells_import_alike(org_a, staff_a, tmp_path):
    path = write_xlsx(tmp_path / "typed.xlsx", typed(base_sheets()))
    with organisation_transaction(org_a):
        import_workbook(read_path(path), org_a)
    assert exported(org_a) == expected()


def test_import_export_import_is_a_no_op(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    call_command("export_workbook", str(tmp_path / "export.xlsx"), organisation=org_a.slug)
    before = snapshot(org_a)
    with organisation_transaction(org_a):
        again = import_workbook(read_path(tmp_path / "export.xlsx"), org_a)
    assert changed(again) == 0
    assert snapshot(org_a) == before


def test_export_import_into_an_empty_organisation_export(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    first = tmp_path / "a.xlsx"
    call_command("export_workbook", str(first), organisation=org_a.slug)
    empty = OrganisationFactory(name="Association Gamma", slug="gamma")
    # The same person works there: the interactions' staff, and the support referent.
    MembershipFactory(organisation=empty, user=staff_a.user, role=staff_a.role)
    with organisation_transaction(empty):
        import_workbook(read_path(first), empty)
    second = tmp_path / "gamma.xlsx"
    call_command("export_workbook", str(second), organisation=empty.slug)
    a, c = xlsx_rows(first), xlsx_rows(second)
    assert list(a) == [sheet.name for sheet in spec.SHEETS]
    for sheet in a:
        assert a[sheet] == c[sheet], sheet
    assert sum(len(rows) - 1 for rows in a.values()) == sum(map(len, expected().values()))


def test_export_as_a_csv_folder(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    call_command("export_workbook", str(tmp_path / "dossier") + "/", organisation=org_a.slug)
    files = sorted(path.name for path in (tmp_path / "dossier").iterdir())
    assert files == sorted(f"{sheet.name}.csv" for sheet in spec.SHEETS)
    text = (tmp_path / "dossier" / "mouvements.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "ref,contrat,date,kind,amount,method,period,cancels"
    assert "E4,C1,2023-03-20,regularisation,-20.00,,," in text
    with organisation_transaction(org_a):
        assert changed(import_workbook(read_path(tmp_path / "dossier"), org_a)) == 0


def test_rows_recorded_in_the_application_round_trip(org_a, staff_a, tmp_path):
    """Persons entered in the application have no ref: exported with their public id, and
    matched on it."""
    household = HouseholdFactory(organisation=org_a, reference="MENAGE-APP", present=True)
    person = PersonFactory(organisation=org_a, household=household)
    with organisation_transaction(org_a):
        Interaction.objects.create(
            organisation=org_a, household=household, date=datetime.date(2024, 1, 5),
            kind="telephone", notes="=1+1 ne devient pas une formule",
        )  # fmt: skip
    path = tmp_path / "export.xlsx"
    call_command("export_workbook", str(path), organisation=org_a.slug)
    rows = xlsx_rows(path)
    assert any(row[0] == str(person.public_id) for row in rows["personnes"])
    assert any(row[-1] == "=1+1 ne devient pas une formule" for row in rows["interactions"])
    before = snapshot(org_a)
    with organisation_transaction(org_a):
        assert changed(import_workbook(read_path(path), org_a)) == 0
    assert snapshot(org_a) == before
    assert Person.objects.get(pk=person.pk).ref == ""


def test_amounts_are_written_with_dots(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    rows = exported(org_a)
    assert ["C1", "M1", "L1", "", "2023-03-01", "2023-09-01", "450.00", "50.00", "450.00", ""] in (
        rows["contrats"]
    )
    assert Decimal(rows["mouvements"][0][4])  # parses back


def test_without_temporary_tables_rows_go_through_bulk_create(
    org_a, staff_a, tmp_path, monkeypatch
):
    from workbook import fastinsert

    monkeypatch.setattr(fastinsert, "_can_use_temp", lambda: False)
    run(org_a, tmp_path)
    assert exported(org_a) == expected()


def test_a_voided_contract_is_not_exported_and_the_workbook_imports_back(
    org_a, dispositif_a, staff_a, tmp_path
):
    """An admission cancelled then recorded again later: only the live contract crosses."""
    from freezegun import freeze_time

    from tenancy.services import ContractTerms, admission_cancel, admit_with_contract
    from tests.housing.factories import HousingUnitFactory

    day = datetime.date
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a,
                                 reference="M-ANNUL", orientation_date=day(2025, 1, 6))  # fmt: skip
    PersonFactory(organisation=org_a, household=household)
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="L-ANNUL",
                              captation_date=day(2024, 1, 1))  # fmt: skip
    terms = ContractTerms(rent=Decimal("400"), charges=Decimal("30"))
    with freeze_time("2025-11-15 10:00"):
        with organisation_transaction(org_a):
            first = admit_with_contract(household=household, unit=unit, room=None,
                                        entry_date=day(2025, 3, 1), terms=terms,
                                        by=staff_a.user)  # fmt: skip
            admission_cancel(household=household, reason="Erreur de date", by=staff_a.user)
            second = admit_with_contract(household=household, unit=unit, room=None,
                                         entry_date=day(2025, 6, 1), terms=terms,
                                         by=staff_a.user)  # fmt: skip
        path = tmp_path / "a.xlsx"
        call_command("export_workbook", str(path), organisation=org_a.slug)
        rows = xlsx_rows(path)
        references = [row[0] for row in rows["contrats"][1:]]
        assert second.reference in references and first.reference not in references
        assert all(row[1] != first.reference for row in rows["mouvements"][1:])
        before = snapshot(org_a)
        with organisation_transaction(org_a):
            assert changed(import_workbook(read_path(path), org_a)) == 0
        assert snapshot(org_a) == before
        other = OrganisationFactory(name="Association Gamma", slug="gamma")
        MembershipFactory(organisation=other, user=staff_a.user, role=staff_a.role)
        with organisation_transaction(other):
            import_workbook(read_path(path), other)
