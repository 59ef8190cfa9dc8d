"""The figures a funder asks first that the report's JSON form does not hold.

Computed with the report's own definitions (``reporting.definitions``) when a version is
built, and frozen with it (``ReportVersion.funder_figures``); submitted to the DDETS with the
figures (``funders``). The JSON form of ``annual-report.md`` stays as it is: other tools read
it. Sums rather than rounded values where a funder aggregates several dispositifs (stock
days, days of stay), so that a département's or a région's rate is exact.

- ``units_at_end_by_management`` / ``captured_by_management``: the dispositif's units in stock
  at the end / captured in the period, by management mode (``ManagementMode``).
- ``entries_oriented_by_siao``: households entered in the period that came with an
  orientation of the SIAO (an orientation date).
- ``present_past_18_months``: households present at the end after more than 18 completed
  months of stay (as the exits' ``gt18``: 19 months or more).
- ``exit_stay_days``: the days of stay of the households exited in the period, summed (the
  average stay of several dispositifs is their sum over 30.4375 per exit).
- ``stock``: unit-days, place-days available and occupied (``definitions.stock_days``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum

from iml.codes import ManagementMode
from reporting import definitions as d
from reporting.definitions import CompletedMonths, DaysBetween, ReportScope

VERSION = 1


def _by_management(queryset: Any) -> dict[str, int]:
    rows = dict(
        queryset.order_by()
        .values_list("management_mode")
        .annotate(n=Count("pk"))
        .values_list("management_mode", "n")
    )
    return {code: int(rows.get(code, 0)) for code in ManagementMode.values}


def funder_figures(scope: ReportScope) -> dict[str, Any]:
    """The funder's block of ``scope`` (five aggregate queries)."""
    stock = d.stock_days(scope)
    present_long = (
        d.households_present_at_end(scope)
        .annotate(months=CompletedMonths(d.date_value(scope.end), "entry_date"))
        .filter(months__gt=18)
        .count()
    )
    exit_days = d.households_exited(scope).aggregate(
        days=Sum(DaysBetween("exit_date", "entry_date"))
    )["days"]
    return {
        "version": VERSION,
        "units_at_end_by_management": _by_management(d.units_in_stock_at(scope, scope.end)),
        "captured_by_management": _by_management(
            d.units_in(scope).filter(captation_date__range=(scope.start, scope.end))
        ),
        "entries_oriented_by_siao": d.households_entered(scope)
        .filter(orientation_date__isnull=False)
        .count(),
        "present_past_18_months": present_long,
        "exit_stay_days": int(exit_days or 0),
        "stock": {
            "unit_days": stock.unit_days,
            "available_place_days": stock.available,
            "occupied_place_days": stock.occupied,
        },
    }
