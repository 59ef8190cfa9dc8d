"""The queries of ``compute_report``: a fixed number, whatever the number of households, persons,
units or ledger entries (no query per row), and no more than ``QUERIES``."""

from __future__ import annotations

from reporting.compute import compute_report
from reporting.definitions import ReportScope
from reporting.quality import quality_gaps
from tests.reporting.factories import END, START, build_reference

# Every section's figures in a few set-based queries (see reporting.compute). A constant: a
# query per household or per group of households would show as a count that grows.
QUERIES = 28


def _report_queries(dispositif, assert_max_num_queries) -> int:
    with assert_max_num_queries(QUERIES) as context:
        compute_report(dispositif, START, END)
    return len([q for q in context.captured_queries if "set_config(" not in q["sql"]])


def test_the_same_queries_from_an_empty_dispositif_to_three_datasets(
    org_a, dispositif_a, django_assert_max_num_queries
):
    counts = [_report_queries(dispositif_a, django_assert_max_num_queries)]
    for tag in ("", "b", "c"):
        build_reference(org_a, dispositif_a, tag=tag)
        counts.append(_report_queries(dispositif_a, django_assert_max_num_queries))
    assert counts == [QUERIES] * 4


def test_the_gaps_counted_by_the_report_are_the_gaps_listed(org_a, dispositif_a):
    for tag in ("", "b"):
        build_reference(org_a, dispositif_a, tag=tag)
    report = compute_report(dispositif_a, START, END)
    gaps = quality_gaps(ReportScope(dispositif_a, START, END))
    assert report["quality"]["gaps"] == len(gaps) == len({gap.key for gap in gaps}) > 0
