"""The funder's block of a report (``reporting.funder_block``): a small dataset whose values
are worked out by hand below, the 18-month edge, and the block frozen with a built version.

Dataset (dispositif IML-A of Alpha, period 2024-01-01 → 2024-12-31, 366 days):

| unit | mode | places | captured | returned | at end | captured in period | days in stock |
|---|---|---|---|---|---|---|---|
| UA | sous_location | 2 | 2023-01-01 | — | yes | no | 366 |
| UB | bail_glissant | 3 | 2024-03-01 | — | yes | yes | 306 (Mar → Dec) |
| UC | mandat_gestion | 1 | 2022-01-01 | 2024-10-01 | no | no | 274 (Jan → Sep) |
| UD | mandat_gestion | 4 | 2024-12-31 | — | yes | yes (last day) | 1 |
| UE | sous_location | 1 | 2025-01-01 | — | no | no (after the end) | 0 |
| UF | bail_glissant | 2 | 2024-02-01 | 2024-12-31 | no (returned on the end) | yes | 334 |
| UG | sous_location | 2 (R1, R2: 1 each) | 2024-01-01 | — | yes | yes (first day) | 366 |

UF's 334 days: 1 February → 30 December. UG is a colocation of two rooms.

| household | orientation | entry | exit | |
|---|---|---|---|---|
| H1 | 2023-05-01 | 2023-05-31 | — | 19 completed months at the end: counted; whole UA |
| H2 | 2023-06-01 | 2023-06-30 | — | exactly 18 months: not counted |
| H3 | 2021-12-01 | 2022-01-10 | 2024-12-31 | exited on the last day: 1 086 days, not present |
| H4 | 2024-02-01 | 2024-03-01 | 2024-08-15 | entered (SIAO) and exited: 167 days; room R1 |
| H5 | — | 2024-06-01 | — | entered without an SIAO orientation; whole UB |
| H6 | 2023-12-01 | 2024-01-01 | — | entered on the first day (SIAO); room R2 |
| H7 | 2024-12-01 | 2025-01-05 | — | enters after the end: nowhere |
| H8 | 2022-12-01 | 2023-01-01 | 2023-12-31 | out the day before the start: nowhere |
| H9 | 2023-06-01 | 2023-07-01 | 2024-01-01 | exited on the first day: 184 days |
| H10 | 2022-04-01 | 2022-05-01 | 2025-02-01 | present at end, 31 months: counted; UC |

Contracts: H1 whole UA, H5 whole UB (from 2024-06-01), H10 whole UC until its return,
H4 room R1, H6 room R2.
"""

from __future__ import annotations

import datetime

import pytest

from iml.codes import ManagementMode
from iml.scoping import organisation_context
from reporting import services
from reporting.definitions import ReportScope
from reporting.funder_block import funder_figures
from reporting.models import ReportStatus
from tests.factories import DispositifFactory
from tests.reporting.example_figures import patch_compute
from tests.reporting.factories import contract, household, room, unit

D = datetime.date
START, END = D(2024, 1, 1), D(2024, 12, 31)
SL, BG, MG = (
    ManagementMode.SOUS_LOCATION,
    ManagementMode.BAIL_GLISSANT,
    ManagementMode.MANDAT_GESTION,
)

# Worked out by hand from the tables of the module's docstring.
EXPECTED = {
    "version": 1,
    # UA, UG (sous-location); UB (bail glissant); UD (mandat). UC returned on 2024-10-01, UF
    # returned on the end date itself (the return date is the first day out), UE captured after.
    "units_at_end_by_management": {"sous_location": 2, "bail_glissant": 1, "mandat_gestion": 1},
    # UG on 01-01 (sous-location); UB on 03-01 and UF on 02-01 (bail glissant, UF returned
    # since: still captured in the period); UD on 12-31 (mandat).
    "captured_by_management": {"sous_location": 1, "bail_glissant": 2, "mandat_gestion": 1},
    # Entered in the period: H4 (oriented), H5 (no orientation date), H6 (oriented).
    "entries_oriented_by_siao": 2,
    # Present at the end: H1 (19 months), H2 (18), H5, H6, H10 (31): H1 and H10.
    "present_past_18_months": 2,
    # H3 1 086 (2022-01-10 → 2024-12-31: 365 + 365 + 356) + H4 167 (31+30+31+30+31 + 14)
    # + H9 184 (31+31+30+31+30+31).
    "exit_stay_days": 1086 + 167 + 184,
    "stock": {
        # UA 366 + UB 306 + UC 274 + UD 1 + UE 0 + UF 334 + UG 366.
        "unit_days": 366 + 306 + 274 + 1 + 0 + 334 + 366,
        # Each unit's days times its places: UA 2, UB 3, UC 1, UD 4, UF 2, UG 2.
        "available_place_days": 366 * 2 + 306 * 3 + 274 * 1 + 1 * 4 + 334 * 2 + 366 * 2,
        # UA whole by H1 all year: 366 x 2. UB whole by H5 from 06-01: 214 days x 3 (30 + 31 +
        # 31 + 30 + 31 + 30 + 31). UC whole by H10 until its return: 274 x 1. UG: R2 by H6 all
        # year (366 x 1) and R1 by H4 from 03-01 to 08-15 (167 x 1). UD, UF: vacant.
        "occupied_place_days": 366 * 2 + 214 * 3 + 274 * 1 + 366 + 167,
    },
}


def _unit(dispositif, reference, mode, places, captured, returned=None, **fields):
    if returned is not None:
        fields.update(return_date=returned, return_reason="reprise_proprietaire")
    return unit(
        dispositif,
        reference,
        management_mode=mode,
        places=places,
        captation_date=captured,
        **fields,
    )


def build(dispositif, tag: str = "") -> None:
    """The dataset of the module's docstring, in ``dispositif`` (references suffixed)."""
    t = tag
    ua = _unit(dispositif, f"UA{t}", SL, 2, D(2023, 1, 1))
    ub = _unit(dispositif, f"UB{t}", BG, 3, D(2024, 3, 1))
    uc = _unit(dispositif, f"UC{t}", MG, 1, D(2022, 1, 1), returned=D(2024, 10, 1))
    _unit(dispositif, f"UD{t}", MG, 4, D(2024, 12, 31))
    _unit(dispositif, f"UE{t}", SL, 1, D(2025, 1, 1))
    _unit(dispositif, f"UF{t}", BG, 2, D(2024, 2, 1), returned=D(2024, 12, 31))
    ug = _unit(dispositif, f"UG{t}", SL, 2, D(2024, 1, 1), colocation=True)
    r1, r2 = room(ug, f"R1{t}"), room(ug, f"R2{t}")

    h1 = household(dispositif, f"H1{t}", orientation_date=D(2023, 5, 1), entry_date=D(2023, 5, 31))
    household(dispositif, f"H2{t}", orientation_date=D(2023, 6, 1), entry_date=D(2023, 6, 30))
    household(
        dispositif,
        f"H3{t}",
        orientation_date=D(2021, 12, 1),
        entry_date=D(2022, 1, 10),
        exit_date=D(2024, 12, 31),
        exit_destination="logement_social",
    )
    h4 = household(
        dispositif,
        f"H4{t}",
        orientation_date=D(2024, 2, 1),
        entry_date=D(2024, 3, 1),
        exit_date=D(2024, 8, 15),
        exit_destination="tiers",
    )
    h5 = household(dispositif, f"H5{t}", orientation_date=None, entry_date=D(2024, 6, 1))
    h6 = household(dispositif, f"H6{t}", orientation_date=D(2023, 12, 1), entry_date=D(2024, 1, 1))
    household(dispositif, f"H7{t}", orientation_date=D(2024, 12, 1), entry_date=D(2025, 1, 5))
    household(
        dispositif,
        f"H8{t}",
        orientation_date=D(2022, 12, 1),
        entry_date=D(2023, 1, 1),
        exit_date=D(2023, 12, 31),
    )
    household(
        dispositif,
        f"H9{t}",
        orientation_date=D(2023, 6, 1),
        entry_date=D(2023, 7, 1),
        exit_date=D(2024, 1, 1),
    )
    h10 = household(
        dispositif,
        f"H10{t}",
        orientation_date=D(2022, 4, 1),
        entry_date=D(2022, 5, 1),
        exit_date=D(2025, 2, 1),
    )

    contract(h1, ua, f"C1{t}", D(2023, 5, 31))
    contract(h5, ub, f"C5{t}", D(2024, 6, 1))
    contract(h10, uc, f"C10{t}", D(2022, 5, 1), D(2024, 10, 1))
    contract(h4, ug, f"C4{t}", D(2024, 3, 1), D(2024, 8, 15), room=r1)
    contract(h6, ug, f"C6{t}", D(2024, 1, 1), room=r2)


def build_elsewhere(dispositif) -> None:
    """Rows that would change every value if they counted: units in stock and captured in
    the period (each mode), an entry oriented by the SIAO, a long stay present at the end, an
    exit, an occupied unit."""
    for mode, reference in ((SL, "XS"), (BG, "XB"), (MG, "XM")):
        _unit(dispositif, reference, mode, 5, D(2024, 5, 1))
    long_stay = household(
        dispositif, "XH1", orientation_date=D(2020, 1, 1), entry_date=D(2020, 2, 1)
    )
    household(dispositif, "XH2", orientation_date=D(2024, 1, 1), entry_date=D(2024, 2, 1))
    household(
        dispositif,
        "XH3",
        orientation_date=D(2023, 1, 1),
        entry_date=D(2023, 2, 1),
        exit_date=D(2024, 6, 1),
    )
    old = _unit(dispositif, "XO", SL, 3, D(2019, 1, 1))
    contract(long_stay, old, "XC1", D(2020, 2, 1))


@pytest.fixture
def dataset(org_a, org_b, dispositif_a):
    build(dispositif_a)
    # Another dispositif of the same organisation, and a dispositif of another organisation
    # (its rows are written as that organisation, as the factories do).
    build_elsewhere(DispositifFactory(organisation=org_a, code="AUTRE"))
    build_elsewhere(DispositifFactory(organisation=org_b, code="IML-B"))
    return dispositif_a


def test_the_funder_block_of_the_dataset(dataset):
    assert funder_figures(ReportScope(dataset, START, END)) == EXPECTED


def test_every_management_mode_is_a_key_even_without_units(org_a, dispositif_a):
    block = funder_figures(ReportScope(dispositif_a, START, END))
    zero = {"sous_location": 0, "bail_glissant": 0, "mandat_gestion": 0}
    assert block == {
        "version": 1,
        "units_at_end_by_management": zero,
        "captured_by_management": zero,
        "entries_oriented_by_siao": 0,
        "present_past_18_months": 0,
        "exit_stay_days": 0,
        "stock": {"unit_days": 0, "available_place_days": 0, "occupied_place_days": 0},
    }


def test_the_other_organisation_has_its_own_block(dataset, org_b):
    """The rows left out above are counted in their own dispositif (so leaving them out was
    the filter's doing, not an empty dataset)."""
    from iml.models import Dispositif

    with organisation_context(org_b):
        other = Dispositif.objects.get(code="IML-B")
        block = funder_figures(ReportScope(other, START, END))
    # XS, XB, XM captured 2024-05-01 and XO since 2019: all in stock at the end.
    assert block["units_at_end_by_management"] == {
        "sous_location": 2, "bail_glissant": 1, "mandat_gestion": 1,
    }  # fmt: skip
    assert block["captured_by_management"] == {
        "sous_location": 1, "bail_glissant": 1, "mandat_gestion": 1,
    }  # fmt: skip
    assert block["entries_oriented_by_siao"] == 1  # XH2
    assert block["present_past_18_months"] == 1  # XH1 (since 2020); XH2: 10 months
    # XH3: 2023-02-01 → 2024-06-01 = 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31
    # (Feb → Dec 2023: 334) + 31 + 29 + 31 + 30 + 31 (Jan → May 2024: 152) = 486 days.
    assert block["exit_stay_days"] == 486


@pytest.mark.parametrize(
    ("end", "entry", "counted"),
    [
        # Period ending 31 December: 2023-05-31 → 19 completed months; 2023-06-30 and
        # 2023-06-01 → 18 (the 31st of December comes after the 30th: still 18).
        (D(2024, 12, 31), D(2023, 5, 31), True),
        (D(2024, 12, 31), D(2023, 6, 30), False),
        (D(2024, 12, 31), D(2023, 6, 1), False),
        # Period ending 29 February (a leap year): 2022-07-29 → 19 months on the 29th;
        # 2022-07-30: the 30th never comes in February, 18.
        (D(2024, 2, 29), D(2022, 7, 29), True),
        (D(2024, 2, 29), D(2022, 7, 30), False),
        # Period ending 28 February: entered on the 29th, the 19th month is not complete.
        (D(2025, 2, 28), D(2023, 7, 28), True),
        (D(2025, 2, 28), D(2023, 7, 29), False),
        # Entered on 29 February: 2025-09-29 completes 19 months, 2025-09-28 only 18.
        (D(2025, 9, 29), D(2024, 2, 29), True),
        (D(2025, 9, 28), D(2024, 2, 29), False),
    ],
)
def test_present_past_18_completed_months(org_a, dispositif_a, end, entry, counted):
    household(dispositif_a, "H", orientation_date=entry, entry_date=entry)
    start = D(end.year - 1, end.month, 1)
    block = funder_figures(ReportScope(dispositif_a, start, end))
    assert block["present_past_18_months"] == (1 if counted else 0)


def test_a_tiny_stock_in_place_days(org_a, dispositif_a):
    """Period 2024-02-01 → 2024-02-29 (29 days). A T3 of 3 places captured 2024-02-10 (20
    days in stock): a whole-unit contract from 2024-02-20 (10 days x 3 places). A colocation of
    2 rooms (2 + 1 places, unit 3 places) in stock all month, returned 2024-03-01: room of 2
    places let from 2024-02-05 to 2024-02-15 (10 days x 2), room of 1 place from 2024-02-11
    (19 days x 1)."""
    whole = _unit(dispositif_a, "T3", SL, 3, D(2024, 2, 10))
    shared = _unit(
        dispositif_a, "COLOC", MG, 3, D(2023, 1, 1), returned=D(2024, 3, 1), colocation=True
    )
    big, small = room(shared, "CH-A", places=2), room(shared, "CH-B", places=1)
    a = household(dispositif_a, "A", orientation_date=None, entry_date=D(2024, 2, 20))
    b = household(
        dispositif_a,
        "B",
        orientation_date=None,
        entry_date=D(2024, 2, 5),
        exit_date=D(2024, 2, 15),
    )
    c = household(dispositif_a, "C", orientation_date=None, entry_date=D(2024, 2, 11))
    contract(a, whole, "CA", D(2024, 2, 20))
    contract(b, shared, "CB", D(2024, 2, 5), D(2024, 2, 15), room=big)
    contract(c, shared, "CC", D(2024, 2, 11), room=small)
    block = funder_figures(ReportScope(dispositif_a, D(2024, 2, 1), D(2024, 2, 29)))
    assert block["stock"] == {
        "unit_days": 20 + 29,
        "available_place_days": 20 * 3 + 29 * 3,
        "occupied_place_days": 10 * 3 + 10 * 2 + 19 * 1,
    }
    assert block["exit_stay_days"] == 10  # B: 2024-02-05 → 2024-02-15
    assert block["units_at_end_by_management"] == {
        "sous_location": 1, "bail_glissant": 0, "mandat_gestion": 1,
    }  # fmt: skip
    assert block["captured_by_management"] == {
        "sous_location": 1, "bail_glissant": 0, "mandat_gestion": 0,
    }  # fmt: skip


def test_a_built_version_stores_the_funder_block(dataset, head_a, monkeypatch):
    computed = patch_compute(monkeypatch)
    version = services.version_request(dispositif=dataset, start=START, end=END, by=head_a.user)
    assert version.funder_figures is None
    assert services.version_build(version.pk) == ReportStatus.READY
    version.refresh_from_db()
    assert computed == [(dataset.pk, START, END)]
    assert version.status == ReportStatus.READY
    assert version.funder_figures == EXPECTED
