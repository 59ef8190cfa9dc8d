"""History as operators really have it: missing values stay missing (and show as data-quality
gaps of the report), withdrawals without reason, rent calls duplicated then reversed or issued
again after a late exit (one live call per contract and month)."""

import datetime
from decimal import Decimal

from households.models import Household, HouseholdEvent
from iml.models import Dispositif
from reporting.compute import compute_report
from reporting.definitions import ReportScope
from reporting.quality import quality_gaps
from tenancy.models import LedgerEntry
from tests.workbook.builders import base_sheets, set_cell
from tests.workbook.helpers import changed, errors_of, run

D = datetime.date


def test_an_empty_orientation_date_stays_empty_and_is_a_gap(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "menages", 2, "orientation_date", "")  # M1, entered 2023-03-01
    run(org_a, tmp_path, sheets)
    m1 = Household.objects.get(reference="M1")
    assert m1.orientation_date is None and m1.entry_date == D(2023, 3, 1)
    assert HouseholdEvent.objects.get(household=m1).summary.endswith(
        "(date d’orientation inconnue)"
    )
    dispositif = Dispositif.objects.get(code="IML-W")
    report = compute_report(dispositif, D(2023, 1, 1), D(2023, 12, 31))
    # M2 (oriented 2023-03-01) is received and admitted; M1 is neither, whatever its entry.
    assert report["orientations"]["received"] == 1 and report["orientations"]["admitted"] == 1
    gaps = quality_gaps(ReportScope(dispositif, D(2023, 1, 1), D(2023, 12, 31)))
    assert [(g.field, g.label) for g in gaps if g.field == "orientation_date"] == [
        ("orientation_date", "Ménage M1 : date d’orientation SIAO non renseignée")
    ]
    assert report["quality"]["gaps"] == len(gaps)
    assert changed(run(org_a, tmp_path, sheets)) == 0  # a second import changes nothing


def test_a_withdrawal_without_reason_counts_under_inconnu(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "menages", 5, "withdrawal_reason", "")  # M4, withdrawn 2024-03-01
    run(org_a, tmp_path, sheets)
    m4 = Household.objects.get(reference="M4")
    assert (m4.withdrawal_date, m4.withdrawal_reason) == (D(2024, 3, 1), "")
    dispositif = Dispositif.objects.get(code="IML-W")
    report = compute_report(dispositif, D(2024, 1, 1), D(2024, 12, 31))
    assert report["orientations"]["withdrawn"]["inconnu"] == 1
    gaps = quality_gaps(ReportScope(dispositif, D(2024, 1, 1), D(2024, 12, 31)))
    assert "withdrawal_reason" in {g.field for g in gaps}


def test_a_reason_without_a_withdrawal_date_is_refused(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "menages", 5, "withdrawal_date", "")
    errors = errors_of(org_a, tmp_path, sheets)
    assert "menages:5: withdrawal_date: un motif de retrait suppose une date de retrait" in errors


def _calls(*rows):
    sheets = base_sheets()
    sheets["mouvements"] += [list(row) for row in rows]
    return sheets


def test_a_duplicated_call_reversed_imports_as_one_live_call(org_a, staff_a, tmp_path):
    sheets = _calls(
        ["E7", "C1", "2023-04-01", "appel", "500.00", "", "2023-04", ""],
        ["E8", "C1", "2023-04-01", "appel", "500.00", "", "2023-04", ""],  # the duplicate
        ["E9", "C1", "2023-04-02", "annulation", "500.00", "", "", "E8"],
    )
    run(org_a, tmp_path, sheets)
    april = {e.ref: e for e in LedgerEntry.objects.filter(period=D(2023, 4, 1), kind="appel")}
    # The reversed one first in the chain, the live one replaces it.
    assert april["E8"].replaces is None and april["E7"].replaces == april["E8"]
    live = LedgerEntry.objects.filter(period=D(2023, 4, 1), contract__reference="C1").live_calls()
    assert [e.ref for e in live] == ["E7"]
    assert changed(run(org_a, tmp_path, sheets)) == 0


def test_a_call_issued_again_after_a_late_exit(org_a, staff_a, tmp_path):
    """C2 ended on 2024-06-01: its June call reversed, May called in full, nothing else."""
    sheets = _calls(
        ["E7", "C2", "2024-05-01", "appel", "330.00", "", "2024-05", ""],
        ["E8", "C2", "2024-05-01", "appel", "330.00", "", "2024-05", ""],
        ["E9", "C2", "2024-06-05", "annulation", "330.00", "", "", "E7"],
        ["E10", "C2", "2024-06-05", "appel", "110.00", "", "2024-05", ""],
    )
    errors = errors_of(org_a, tmp_path, sheets)
    assert any("E8" not in e and "appel de 2024-05 en double" in e for e in errors), errors
    del sheets["mouvements"][-3]  # E8: now one reversed call and its replacement
    run(org_a, tmp_path, sheets)
    may = LedgerEntry.objects.filter(period=D(2024, 5, 1)).live_calls().get()
    assert (may.ref, may.debit, may.replaces.ref) == ("E10", Decimal("110.00"), "E7")


def test_a_second_live_call_of_a_recorded_month_is_refused(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    sheets = _calls(["E7", "C1", "2023-03-02", "appel", "500.00", "", "2023-03", ""])
    errors = errors_of(org_a, tmp_path, sheets)
    assert (
        "mouvements:8: period: appel de 2023-03 en double (ligne 2) : un seul appel non annulé "
        "par contrat et par mois" in errors
    )
    # Without E1 in the workbook, the recorded call is named.
    only_new = {"mouvements": [sheets["mouvements"][0], sheets["mouvements"][-1]]}
    errors = errors_of(org_a, tmp_path, only_new)
    assert (
        "mouvements:2: period: appel de 2023-03 en double (« E1 ») : un seul appel non annulé "
        "par contrat et par mois" in errors
    )
    # Reversing E1 in the same workbook makes E7 its replacement.
    sheets["mouvements"].append(["E8", "C1", "2023-03-02", "annulation", "500.00", "", "", "E1"])
    run(org_a, tmp_path, sheets)
    march = LedgerEntry.objects.filter(period=D(2023, 3, 1), contract__reference="C1")
    assert [e.ref for e in march.live_calls()] == ["E7"]
    assert march.get(ref="E7").replaces.ref == "E1"


def test_invisible_characters_and_implausible_dates_are_refused(org_a, staff_a, tmp_path):
    """The same rules as every form (``iml.validators``): a reference with a right-to-left
    override or a line break, a date of year 1, are errors; notes keep their line breaks."""
    sheets = base_sheets()
    set_cell(sheets, "menages", 2, "siao_ref", "SIAO\u202e-1")
    set_cell(sheets, "menages", 3, "orienting_structure", "CADA\nLe Pont")
    set_cell(sheets, "menages", 4, "orientation_date", "0001-01-01")
    set_cell(sheets, "interactions", 2, "notes", "Première visite\nDeuxième ligne")
    errors = errors_of(org_a, tmp_path, sheets)
    assert any(e.startswith("menages:2: siao_ref: caractère invisible") for e in errors), errors
    assert any(
        e.startswith("menages:3: orienting_structure: ce champ tient sur une ligne") for e in errors
    )
    assert any(e.startswith("menages:4: orientation_date: date hors des limites") for e in errors)
    assert not any(e.startswith("interactions:") for e in errors)
