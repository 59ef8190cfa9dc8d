"""The ten figures a funder asks first, for one dispositif or summed over a territory.

A submission gives additive *base* values (counts, place-days, days of stay, euros: what can
be summed over dispositifs); the key figures are derived from them. A département's or a
région's value is the same derivation over the sum of its dispositifs' bases: a rate is a
ratio of sums, never an average of rates.

The « < 5 » rule: in the regional and national tables, a count of households under five
(1 to 4) at the level of one dispositif is shown « < 5 », and a rate computed over fewer
than five households « — » (from 3 exits, « 33 % » would name a household). Nothing is
masked in an operator's own report as its DDETS reads it, nor in totals of a territory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from iml.codes import ManagementMode
from iml.formats import euros, fr_decimal, fr_int

DAYS_PER_MONTH = Fraction("30.4375")
SMALL = 5
CATEGORIES = ("perenne", "transitoire", "sans_solution", "autre", "inconnu")
CATEGORY_LABELS = {
    "perenne": "logement pérenne",
    "transitoire": "solution transitoire",
    "sans_solution": "sans solution",
    "autre": "autre",
    "inconnu": "inconnue",
}
MODES = tuple(ManagementMode.values)
MODE_LABELS = dict(ManagementMode.choices)

Base = dict[str, Any]


def base_values(figures: Mapping[str, Any], funder: Mapping[str, Any], places: int) -> Base:
    """The additive values of one submitted report (its figures and funder's block)."""
    housing, exits = figures["housing"], figures["exits"]
    households = figures["households"]
    stock = funder["stock"]
    base: Base = {
        "dispositifs": 1,
        "places": int(places),
        "units_at_end": int(housing["units_at_end"]),
        "vacant_units_at_end": int(housing["vacant_units_at_end"]),
        "available_place_days": int(stock["available_place_days"]),
        "occupied_place_days": int(stock["occupied_place_days"]),
        "present_at_end": int(households["present_at_end"]),
        "entered": int(households["entered"]),
        "exited": int(households["exited"]),
        "entered_siao": int(funder["entries_oriented_by_siao"]),
        "withdrawn": sum(int(n) for n in figures["orientations"]["withdrawn"].values()),
        "exit_stay_days": int(funder["exit_stay_days"]),
        "stays_past_18": int(funder["present_past_18_months"]) + int(exits["stay_length"]["gt18"]),
        "exits_bail_glissant": sum(
            int(row["bail_glissant"]) for row in exits["destinations"].values()
        ),
        "exits_without_debt": int(exits["sinistralite"]["aucun"]),
        "theoretical": Decimal(figures["funding"]["theoretical"]),
        "average_units": Decimal(str(figures["funding"]["average_units"])),
    }
    for mode in MODES:
        base[f"units_{mode}"] = int(funder["units_at_end_by_management"].get(mode, 0))
        base[f"captured_{mode}"] = int(funder["captured_by_management"].get(mode, 0))
    for category in CATEGORIES:
        base[f"exits_{category}"] = int(exits["destination_categories"].get(category, 0))
    return base


def summed(bases: Iterable[Base]) -> Base:
    total: Base = {}
    for base in bases:
        for key, value in base.items():
            total[key] = total.get(key, 0) + value
    return total


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    group: str
    kind: str  # "households" (a count of households), "count", "percent", "months", "money"
    value: int | float | Decimal | None
    # Rates: the households they are computed over (the « < 5 » rule).
    over: int | None = None

    def hidden(self) -> bool:
        """Whether the « < 5 » rule hides it (when the table masks at all)."""
        if self.kind == "households" and 0 < int(self.value or 0) < SMALL:
            return True
        return self.over is not None and 0 < self.over < SMALL

    def shown(self, *, masked: bool = False) -> str:
        """The value in French; ``masked``: the « < 5 » rule of the regional tables."""
        if masked and self.hidden():
            return "< 5" if self.kind == "households" else "—"
        if self.value is None:
            return "—"
        if self.kind in ("households", "count"):
            return fr_int(self.value)
        if self.kind == "percent":
            return f"{fr_decimal(self.value)}\u00a0%"
        if self.kind == "months":
            return f"{fr_decimal(self.value)} mois"
        return euros(self.value)

    def plain(self) -> int | float | str | None:
        """The value for JSON: counts as integers, rates and months with one decimal,
        euros as a string with two decimals."""
        if self.value is None:
            return None
        if self.kind == "money":
            return str(Decimal(self.value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if self.kind in ("percent", "months"):
            return float(_one_decimal(Fraction(str(self.value))))
        return int(self.value)

    def cell(self, *, masked: bool = False) -> int | float | Decimal | str | None:
        """The value for a spreadsheet: a number, or the mask's text."""
        if masked and self.hidden():
            return self.shown(masked=True)
        value = self.plain()
        return Decimal(value) if self.kind == "money" and value is not None else value


def _one_decimal(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float(_one_decimal(Fraction(100 * part, whole)))


def _occupancy(base: Base) -> float | None:
    """As the report: 0.0 when a dispositif has no place available; nothing (« — ») for a
    territory where no report was submitted."""
    if not base.get("dispositifs"):
        return None
    available = base.get("available_place_days", 0)
    return _percent(base.get("occupied_place_days", 0), available) if available else 0.0


def key_figures(base: Base) -> list[Figure]:
    """The funder's ten figures (in groups) from a base or a sum of bases."""
    entered, exited = base.get("entered", 0), base.get("exited", 0)
    average_units = Decimal(base.get("average_units", 0))
    theoretical = Decimal(base.get("theoretical", 0))
    stay = (
        float(_one_decimal(Fraction(base["exit_stay_days"]) / DAYS_PER_MONTH / exited))
        if exited
        else None
    )
    figures = [
        Figure("places", "Places financées", "capacity", "count", base.get("places", 0)),
        Figure("units_at_end", "Logements en fin de période", "capacity", "count",
               base.get("units_at_end", 0)),
        *(
            Figure(f"units_{mode}", f"dont {MODE_LABELS[mode]}", "capacity", "count",
                   base.get(f"units_{mode}", 0))
            for mode in MODES
        ),
        Figure("occupancy_rate", "Taux d’occupation", "occupancy", "percent",
               _occupancy(base)),
        Figure("vacant_units_at_end", "Logements vacants en fin de période", "occupancy",
               "count", base.get("vacant_units_at_end", 0)),
        Figure("present_at_end", "Ménages présents en fin de période", "households",
               "households", base.get("present_at_end", 0)),
        Figure("entered", "Ménages entrés", "households", "households", entered),
        Figure("exited", "Ménages sortis", "households", "households", exited),
        Figure("siao_share", "Entrées orientées par le SIAO", "orientations", "percent",
               _percent(base.get("entered_siao", 0), entered), over=entered),
        Figure("withdrawn", "Orientations retirées", "orientations", "households",
               base.get("withdrawn", 0)),
        Figure("average_stay", "Durée moyenne de séjour (sortis)", "stay", "months", stay,
               over=exited),
        Figure("stays_past_18", "Séjours de plus de 18 mois", "stay", "households",
               base.get("stays_past_18", 0)),
        *(
            Figure(f"exits_{category}", f"Sorties : {CATEGORY_LABELS[category]}", "exits",
                   "households", base.get(f"exits_{category}", 0))
            for category in CATEGORIES
        ),
        Figure("lasting_share", "Part des sorties vers le logement pérenne", "exits", "percent",
               _percent(base.get("exits_perenne", 0), exited), over=exited),
        Figure("exits_bail_glissant", "dont bail glissant", "exits", "households",
               base.get("exits_bail_glissant", 0)),
        Figure("without_debt_share", "Sorties sans impayé ni dégradation", "exits", "percent",
               _percent(base.get("exits_without_debt", 0), exited), over=exited),
        *(
            Figure(f"captured_{mode}", f"Captations : {MODE_LABELS[mode]}", "captations",
                   "count", base.get(f"captured_{mode}", 0))
            for mode in MODES
        ),
        Figure("theoretical", "Financement théorique BOP 177", "funding", "money", theoretical),
        Figure("funding_per_unit", "Financement par logement (moyenne de la période)",
               "funding", "money", (theoretical / average_units) if average_units else None),
    ]  # fmt: skip
    return figures


GROUPS = {
    "capacity": "Places et logements par mode de gestion",
    "occupancy": "Occupation",
    "households": "Ménages",
    "orientations": "Orientations du SIAO",
    "stay": "Durée de séjour",
    "exits": "Sorties",
    "captations": "Captations de la période",
    "funding": "Financement",
}


def as_json(figures: list[Figure]) -> dict[str, Any]:
    return {figure.key: figure.plain() for figure in figures}
