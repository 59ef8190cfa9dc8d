"""The figures of the annual report, in the JSON form of shared/docs/annual-report.md.

``compute_report(dispositif, start, end)`` returns the whole object. Counting is done in SQL,
about thirty queries whatever the number of households: the figures of one table in one
``aggregate()`` of conditional counts (``_counts``), a group's figures in grouped queries
(``values().annotate()``) whose rows, one per code or combination of codes, Python sums
(``_total``, ``_by``), one raw query for the place-days. Python only lays the aggregated rows
out, fills the fixed code lists and rounds.

The rows behind each figure (the drill-down of the report page) are listed by
``reporting.drilldown``, through the same definitions (``reporting.definitions``).

Run inside the organisation's context (``organisation_transaction``).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor

from django.db import models
from django.db.models import Count, Q, Sum

from housing.models import Room
from iml.codes import (
    DESTINATION_CATEGORY,
    DestinationCategory,
    Employment,
    ExitDestination,
    ExitSupport,
    InteractionType,
    Parc,
    PriorSituation,
    ProtectionStatus,
    Sex,
    SupportDomain,
    Typology,
    UnitReturnReason,
    WithdrawalReason,
)
from iml.models import DispositifCategory, Zone
from reporting import definitions as d
from reporting.definitions import UNKNOWN, ReportScope
from reporting.quality import balance_checks, gap_count
from support.models import Interaction, SupportAmendment, SupportContract, WorkshopParticipant
from tenancy import money as ledger_money
from tenancy.models import RepaymentPlan

# Yearly BOP 177 ceiling per unit in sous-location (shared/docs/domain.md, seed 002).
SUBLEASE_CEILINGS: dict[tuple[str, str], Decimal] = {
    (DispositifCategory.CLASSIQUE, Zone.TENDUE): Decimal("4500"),
    (DispositifCategory.CLASSIQUE, Zone.DETENDUE): Decimal("5000"),
    (DispositifCategory.SPECIALISEE, Zone.TENDUE): Decimal("5500"),
    (DispositifCategory.SPECIALISEE, Zone.DETENDUE): Decimal("6000"),
    (DispositifCategory.PSY, Zone.TENDUE): Decimal("7500"),
    (DispositifCategory.PSY, Zone.DETENDUE): Decimal("8000"),
}

DAYS_PER_MONTH = Fraction("30.4375")


# --- Rounding and formatting ----------------------------------------------------------------


def round_half_away(value: Fraction | Decimal | int, places: int = 1) -> Decimal:
    """Rounded half away from zero (12.25 → 12.3, -12.25 → -12.3), computed exactly."""
    exact = Fraction(value)
    scaled = abs(exact) * 10**places
    rounded = floor(scaled + Fraction(1, 2))
    sign = -1 if exact < 0 else 1
    return Decimal(sign * rounded).scaleb(-places)


def rate(value: Fraction | Decimal | int) -> float:
    """A rate or an average in the JSON: a number with one decimal."""
    return float(round_half_away(value, 1))


def percent(part, whole) -> float:
    """100 x part / whole, one decimal; 0.0 when ``whole`` is zero."""
    if not whole:
        return 0.0
    return rate(Fraction(Decimal(part)) * 100 / Fraction(Decimal(whole)))


def money(value: Decimal | int | None) -> str:
    """Money in the JSON: a string with two decimals, rounded half up to cents."""
    return str(Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _fixed(codes, rows: dict, *, unknown: bool = True, zero=0) -> dict:
    """Every code of a fixed list, in order, then ``inconnu`` (when asked)."""
    result = {code: rows.get(code, zero) for code in codes}
    if unknown:
        result[UNKNOWN] = rows.get(UNKNOWN, zero)
    return result


def _open(rows: dict) -> dict:
    """Open-ended breakdown: keys counted above 0 (sorted), then ``inconnu``."""
    result = {key: rows[key] for key in sorted(k for k in rows if k != UNKNOWN) if rows[key] > 0}
    result[UNKNOWN] = rows.get(UNKNOWN, 0)
    return result


def _count_by(queryset: models.QuerySet, field: str) -> dict:
    """{value or "inconnu" when empty: count} in one grouped query."""
    rows = queryset.order_by().values(field).annotate(n=Count("pk"))
    counts: dict = {}
    for row in rows:
        key = row[field] or UNKNOWN
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def _sum_by(rows: list[dict], field: str, name: str) -> dict:
    """{value or "inconnu" when empty: the sum of ``name``} over grouped rows."""
    sums: dict = {}
    for row in rows:
        key = row[field] or UNKNOWN
        sums[key] = sums.get(key, 0) + row[name]
    return sums


def _counts(conditions: dict[str, Q], *, within: Q | None = None, prefix: str = "") -> dict:
    """One ``Count`` of rows per condition (and ``within``), named ``prefix`` + its key: several
    figures of one ``aggregate()`` or of each row of one grouped query."""
    return {
        f"{prefix}{key}": Count("pk", filter=condition if within is None else within & condition)
        for key, condition in conditions.items()
    }


def _codes(field: str, codes, *, unknown: bool = True) -> dict[str, Q]:
    """The conditions of a fixed list: ``field`` equal to each code; empty for ``inconnu``."""
    conditions = {code: Q(**{field: code}) for code in codes}
    if unknown:
        conditions[UNKNOWN] = Q(**{field: ""})
    return conditions


def _prefixed(row: dict, prefix: str) -> dict:
    """The values of ``row`` named ``prefix`` + a key, by key."""
    return {key.removeprefix(prefix): value for key, value in row.items() if key.startswith(prefix)}


def _total(rows: list[dict], name: str) -> int:
    """The sum of one figure over the rows of a grouped query."""
    return sum(row[name] or 0 for row in rows)


def _by(rows: list[dict], field: str, names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Figures of the rows of a grouped query summed per value of ``field`` (empty value:
    ``inconnu``): ``{value: {name: sum}}``."""
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        cell = sums.setdefault(row[field] or UNKNOWN, dict.fromkeys(names, 0))
        for name in names:
            cell[name] += row[name] or 0
    return sums


def _cells(sums: dict[str, dict[str, int]], codes, names: tuple[str, ...]) -> dict:
    """Every code of a fixed list with its figures (zeros for a code without a row)."""
    return {code: sums.get(code, dict.fromkeys(names, 0)) for code in codes}


# --- Groups ---------------------------------------------------------------------------------

TYPOLOGY_CELLS = ("households", "children", "reinforced")
DESTINATION_CELLS = ("households", "bail_glissant", "reinforced")


def _group(scope: ReportScope, group: str) -> dict:
    """A group's figures in two grouped queries: its households per typology, prior situation
    and resources, its persons per protection status (the totals are their sums)."""
    households = d.group_households(scope, group).order_by()
    persons = d.group_persons(scope, group).order_by()
    brackets = d.age_bracket_labels(scope.dispositif)
    buckets = d.STAY_BUCKETS.get(group, ())

    household_rows = list(
        households.values("typology", "prior_situation", "resources_key").annotate(
            households=Count("pk"),
            children=Sum("children"),
            reinforced=Count("pk", filter=d.Q_REINFORCED),
            days=Sum("stay_days"),
            **_counts({bucket: d.q_stay_bucket(bucket) for bucket in buckets}, prefix="stay_"),
        )
    )
    person_rows = list(
        persons.values("protection_status").annotate(
            persons=Count("pk"),
            adults=Count("pk", filter=d.Q_ADULT),
            children=Count("pk", filter=d.Q_CHILD),
            children_of_age=Count("pk", filter=d.q_child_of_age()),
            **_counts(
                {str(i): d.q_age_bracket(low, high) for i, (_, low, high) in enumerate(brackets)},
                prefix="age_",
            ),
        )
    )

    prior_situation = _by(household_rows, "prior_situation", ("households",))
    protection_status = _by(person_rows, "protection_status", ("persons",))
    figures = {
        "households": _total(household_rows, "households"),
        "persons": _total(person_rows, "persons"),
        "adults": _total(person_rows, "adults"),
        "children": _total(person_rows, "children"),
        "children_of_age": _total(person_rows, "children_of_age"),
        "reinforced": _total(household_rows, "reinforced"),
        "typology": _cells(
            _by(household_rows, "typology", TYPOLOGY_CELLS),
            (*d.TYPOLOGIES, UNKNOWN),
            TYPOLOGY_CELLS,
        ),
        "protection_status": _fixed(
            ProtectionStatus.values,
            {code: cell["persons"] for code, cell in protection_status.items()},
        ),
        "age_brackets": {
            label: _total(person_rows, f"age_{index}")
            for index, (label, _, _) in enumerate(brackets)
        },
        "resources": _open(_sum_by(household_rows, "resources_key", "households")),
        "prior_situation": _fixed(
            PriorSituation.values,
            {code: cell["households"] for code, cell in prior_situation.items()},
        ),
    }
    if buckets:
        count = figures["households"]
        stay = {bucket: _total(household_rows, f"stay_{bucket}") for bucket in buckets}
        stay["average_months"] = (
            rate(Fraction(_total(household_rows, "days")) / DAYS_PER_MONTH / count)
            if count
            else None
        )
        figures["stay_length"] = stay
    return figures


def _entries(scope: ReportScope) -> dict:
    figures = _group(scope, "entries")
    households = d.households_entered(scope)
    figures["orienting_structures"] = _open(_count_by(households, "orienting_structure"))
    return figures


def _exits(scope: ReportScope) -> dict:
    figures = _group(scope, "exits")
    households = d.households_exited(scope).order_by()

    # Per destination; the exit support is summed over the destinations.
    destination_rows = list(
        households.values("exit_destination").annotate(
            households=Count("pk"),
            bail_glissant=Count("pk", filter=Q(bail_glissant=True)),
            reinforced=Count("pk", filter=d.Q_REINFORCED),
            **_counts(
                {code: Q(exit_support__contains=[code]) for code in ExitSupport.values},
                prefix="support_",
            ),
        )
    )
    destinations = _by(destination_rows, "exit_destination", DESTINATION_CELLS)
    figures["destinations"] = _cells(
        destinations, (*ExitDestination.values, UNKNOWN), DESTINATION_CELLS
    )
    categories = dict.fromkeys((*DestinationCategory.values, UNKNOWN), 0)
    for code, cell in destinations.items():
        categories[DESTINATION_CATEGORY.get(code, UNKNOWN)] += cell["households"]
    figures["destination_categories"] = categories
    figures["exit_support"] = {
        code: _total(destination_rows, f"support_{code}") for code in ExitSupport.values
    }
    figures["sinistralite"] = _fixed(
        d.SINISTRALITE,
        _count_by(d.with_sinistralite(households), "sinistralite"),
        unknown=False,
    )
    return figures


# --- Other sections -------------------------------------------------------------------------


def _households(scope: ReportScope) -> tuple[dict, dict]:
    """The household counts and the orientations: one query over the dispositif's
    households."""
    counts = {
        "present_at_start": d.q_household_present_at(scope.day_before_start),
        "entered": d.q_household_entered(scope),
        "exited": d.q_household_exited(scope),
        "present_at_end": d.q_household_present_at(scope.end),
        "accompanied": d.q_household_accompanied(scope),
    }
    orientations = {
        "received": d.q_oriented_in(scope),
        "admitted": d.q_admitted(scope),
        "pending_at_end": d.q_pending_at_end(scope),
    }
    row = d.households_in(scope).aggregate(
        **_counts(counts, prefix="count_"),
        **_counts(orientations, prefix="orientation_"),
        **_counts(
            _codes("withdrawal_reason", WithdrawalReason.values),
            within=d.q_withdrawn_in(scope),
            prefix="withdrawn_",
        ),
    )
    orientation = _prefixed(row, "orientation_")
    return _prefixed(row, "count_"), {
        "received": orientation["received"],
        "admitted": orientation["admitted"],
        "withdrawn": _fixed(WithdrawalReason.values, _prefixed(row, "withdrawn_")),
        "pending_at_end": orientation["pending_at_end"],
    }


def _persons(scope: ReportScope) -> tuple[dict, dict]:
    """The person counts and the sex of the persons accompanied: one query."""
    counts = {
        "present_at_start": d.q_person_present_at(scope.day_before_start),
        "entered": d.q_person_entered(scope),
        "exited": d.q_person_exited(scope),
        "present_at_end": d.q_person_present_at(scope.end),
        "accompanied": d.q_person_accompanied(scope),
    }
    row = d.persons_in(scope).aggregate(
        **_counts(counts, prefix="count_"),
        **_counts(
            _codes("sex", Sex.values, unknown=False),
            within=d.q_person_accompanied(scope),
            prefix="sex_",
        ),
    )
    return _prefixed(row, "count_"), _fixed(Sex.values, _prefixed(row, "sex_"), unknown=False)


def _housing(scope: ReportScope, stock: d.StockDays) -> dict:
    in_stock = d.units_in_stock_at(scope, scope.end)
    totals = (
        d.with_occupied_at(in_stock, scope.end)
        .order_by()
        .aggregate(
            units=Count("pk"),
            places=Sum("places"),
            units_occupied=Count("pk", filter=Q(occupied=True)),
            **_counts(_codes("typology", Typology.values, unknown=False), prefix="typology_"),
            **_counts(_codes("parc", Parc.values, unknown=False), prefix="parc_"),
        )
    )
    rooms = Room.objects.filter(unit__in=in_stock).count()
    returned = Q(return_date__range=(scope.start, scope.end))
    moves = d.units_in(scope).aggregate(
        captured=Count("pk", filter=Q(captation_date__range=(scope.start, scope.end))),
        returned=Count("pk", filter=returned),
        **_counts(
            _codes("return_reason", UnitReturnReason.values), within=returned, prefix="reason_"
        ),
    )
    return {
        "units_at_end": totals["units"],
        "places_at_end": totals["places"] or 0,
        "units_by_typology_at_end": _prefixed(totals, "typology_"),
        "rooms_at_end": rooms,
        "captured": moves["captured"],
        "returned": moves["returned"],
        "returned_by_reason": _fixed(UnitReturnReason.values, _prefixed(moves, "reason_")),
        "vacant_units_at_end": totals["units"] - totals["units_occupied"],
        "occupied_units_at_end": totals["units_occupied"],
        "occupancy_rate": percent(stock.occupied, stock.available),
        "by_parc_at_end": _prefixed(totals, "parc_"),
        "by_sector_at_end": _open(_count_by(in_stock, "sector")),
    }


def _support(scope: ReportScope) -> dict:
    dispositif = scope.dispositif
    period = (scope.start, scope.end)
    contracts = SupportContract.objects.filter(
        household__dispositif=dispositif, signed_on__range=period
    ).count()
    amendments = SupportAmendment.objects.filter(
        contract__household__dispositif=dispositif, signed_on__range=period
    ).count()
    interactions = Interaction.objects.filter(
        household__dispositif=dispositif, date__range=period
    ).aggregate(
        households=Count("household", distinct=True),
        **{f"type_{code}": Count("pk", filter=Q(kind=code)) for code in InteractionType.values},
        **{
            f"domain_{code}": Count("pk", filter=Q(domains__contains=[code]))
            for code in SupportDomain.values
        },
    )
    participants = WorkshopParticipant.objects.filter(
        workshop__date__range=period, person__household__dispositif=dispositif
    ).aggregate(n=Count("person", distinct=True))["n"]
    employment = _count_by(
        d.adults_accompanied(scope).annotate(employment_code=d.employment_at(scope)),
        "employment_code",
    )
    return {
        "contracts_signed": contracts,
        "amendments_signed": amendments,
        "interactions_by_type": {
            code: interactions[f"type_{code}"] for code in InteractionType.values
        },
        "interactions_by_domain": {
            code: interactions[f"domain_{code}"] for code in SupportDomain.values
        },
        "households_with_interaction": interactions["households"],
        "workshop_participants": participants,
        "employment": _fixed(Employment.values, employment),
    }


def _rent(scope: ReportScope) -> dict:
    totals = ledger_money.rent_totals(d.ledger_of(scope), scope.start, scope.end)
    balances = (
        d.households_present_at_end(scope)
        .annotate(balance=d.balance_at(scope.end))
        # Aggregated over a DISTINCT subquery (its rows are distinct anyway), which PostgreSQL
        # does not inline: the balance is computed once per household, not once per aggregate.
        .distinct()
        .aggregate(
            up_to_date=Count("pk", filter=Q(balance__lte=0)),
            in_debt=Count("pk", filter=Q(balance__gt=0)),
            debt=Sum("balance", filter=Q(balance__gt=0)),
        )
    )
    plans = RepaymentPlan.objects.filter(
        contract__household__dispositif=scope.dispositif,
        signed_on__range=(scope.start, scope.end),
    ).count()
    return {
        "called": money(totals.called),
        "paid_by_household": money(totals.paid_by_household),
        "paid_by_caf": money(totals.paid_by_caf),
        "paid_by_aids": money(totals.paid_by_aids),
        "collection_rate": percent(totals.collected, totals.called),
        "households_up_to_date_at_end": balances["up_to_date"],
        "households_in_debt_at_end": balances["in_debt"],
        "debt_at_end": money(balances["debt"]),
        "repayment_plans_opened": plans,
    }


def funding_ceiling(dispositif) -> Decimal:
    """The BOP 177 sous-location ceiling per unit of the dispositif's category and zone."""
    return SUBLEASE_CEILINGS[(dispositif.category, dispositif.zone)]


def _funding(scope: ReportScope, stock: d.StockDays) -> dict:
    average = round_half_away(Fraction(stock.unit_days, scope.days), 1)
    ceiling = funding_ceiling(scope.dispositif)
    return {
        "average_units": float(average),
        "ceiling_per_unit": money(ceiling),
        "theoretical": money(average * ceiling),
    }


# --- The report -----------------------------------------------------------------------------


def compute_report(dispositif, start: datetime.date, end: datetime.date) -> dict:
    """Every figure of the report of ``dispositif`` over ``[start, end]``, as the JSON form of
    the specification (keys always present, money as strings, rates with one decimal)."""
    if end < start:
        raise ValueError("La fin de la période précède son début.")
    scope = ReportScope(dispositif, start, end)
    households, orientations = _households(scope)
    persons, sex = _persons(scope)
    stock = d.stock_days(scope)
    figures = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "dispositif": dispositif.code,
        "households": households,
        "persons": persons,
        "present_at_end": _group(scope, "present_at_end"),
        "entries": _entries(scope),
        "exits": _exits(scope),
        "orientations": orientations,
        "housing": _housing(scope, stock),
        "nationalities": _open(_count_by(d.persons_accompanied(scope), "nationality")),
        "sex": sex,
        "support": _support(scope),
        "rent": _rent(scope),
        "funding": _funding(scope, stock),
    }
    figures["quality"] = {
        "gaps": gap_count(scope, figures),
        "checks": balance_checks(figures),
    }
    return figures


__all__ = [
    "SUBLEASE_CEILINGS",
    "ReportScope",
    "compute_report",
    "funding_ceiling",
    "money",
    "percent",
    "rate",
    "round_half_away",
]
