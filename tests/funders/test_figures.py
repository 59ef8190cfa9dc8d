"""The funder's key figures, from one report and summed over a territory, and the « < 5 »
rule; every expected value is computed here from the figures the test gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funders import figures as kf
from tests.funders.helpers import figures_with, funder_block
from tests.reporting.example_figures import example_figures


def by_key(figures):
    return {figure.key: figure for figure in figures}


def test_the_key_figures_of_one_report():
    # The example report: 17 present, 9 entered, 3 exited (all to lasting housing, 2 with a
    # bail glissant), 1 without debt nor damage, 5 withdrawn orientations, 2 exits > 18
    # months; 16.4 units on average, 80 000 € theoretical.
    base = kf.base_values(example_figures(), funder_block(), places=51)
    shown = by_key(kf.key_figures(base))
    assert shown["places"].value == 51
    assert [shown[f"units_{m}"].value for m in ("sous_location", "bail_glissant",
                                                 "mandat_gestion")] == [10, 2, 3]  # fmt: skip
    assert shown["occupancy_rate"].value == 90.0  # 16 425 / 18 250 place-days
    assert shown["vacant_units_at_end"].value == 1
    assert (shown["present_at_end"].value, shown["entered"].value, shown["exited"].value) == (
        17, 9, 3,
    )  # fmt: skip
    assert shown["siao_share"].value == 88.9  # 8 of 9 entries
    assert shown["withdrawn"].value == 5
    assert shown["average_stay"].value == 32.9  # 3 000 days / 30.4375 / 3 exits = 32.85
    assert shown["stays_past_18"].value == 4  # 2 present past 18 months + 2 exits gt18
    assert shown["lasting_share"].value == 100.0
    assert shown["exits_bail_glissant"].value == 2
    assert shown["without_debt_share"].value == 33.3
    assert [shown[f"captured_{m}"].value for m in ("sous_location", "bail_glissant",
                                                    "mandat_gestion")] == [2, 0, 1]  # fmt: skip
    assert shown["theoretical"].value == Decimal("80000.00")
    assert shown["funding_per_unit"].plain() == "4878.05"  # 80 000 / 16.4


def test_a_territory_is_the_ratio_of_sums_not_the_mean_of_rates():
    small = kf.base_values(figures_with(entered=2, exited=1), funder_block(
        entries_oriented_by_siao=2, exit_stay_days=300,
        stock={"unit_days": 365, "available_place_days": 1000, "occupied_place_days": 1000},
    ), places=4)  # fmt: skip
    large = kf.base_values(figures_with(entered=20, exited=10), funder_block(
        entries_oriented_by_siao=10, exit_stay_days=6000,
        stock={"unit_days": 3650, "available_place_days": 9000, "occupied_place_days": 4500},
    ), places=40)  # fmt: skip
    total = by_key(kf.key_figures(kf.summed([small, large])))
    assert total["places"].value == 44
    assert total["entered"].value == 22 and total["exited"].value == 11
    assert total["siao_share"].value == 54.5  # 12 / 22, not the mean of 100 % and 50 %
    assert total["occupancy_rate"].value == 55.0  # 5 500 / 10 000
    assert total["average_stay"].value == 18.8  # 6 300 days / 30.4375 / 11 = 18.82
    assert total["units_at_end"].value == 34  # 17 + 17


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "< 5"), (4, "< 5"), (5, "5"), (12, "12")]
)
def test_counts_of_households_under_five_are_masked_in_regional_tables(count, shown):
    figure = by_key(kf.key_figures(kf.base_values(
        figures_with(exited=count), funder_block(), places=4,
    )))["exited"]  # fmt: skip
    assert figure.shown(masked=True) == shown
    # Not in an operator's own report as its DDETS reads it.
    assert figure.shown() == str(count)


def test_rates_over_fewer_than_five_households_are_masked_and_places_never():
    shown = by_key(kf.key_figures(kf.base_values(
        figures_with(exited=3), funder_block(), places=2,
    )))  # fmt: skip
    assert shown["lasting_share"].shown(masked=True) == "—"
    assert shown["lasting_share"].shown() == "100,0\u00a0%"
    assert shown["average_stay"].shown(masked=True) == "—"
    # Places and units are not households.
    assert shown["places"].shown(masked=True) == "2"
    assert shown["units_bail_glissant"].shown(masked=True) == "2"
    assert shown["exited"].cell(masked=True) == "< 5" and shown["exited"].cell() == 3


def test_an_empty_territory_has_no_rate():
    shown = by_key(kf.key_figures({}))
    assert shown["siao_share"].value is None and shown["siao_share"].shown() == "—"
    assert shown["occupancy_rate"].value is None
    assert shown["funding_per_unit"].value is None
    assert kf.as_json(kf.key_figures({}))["entered"] == 0
