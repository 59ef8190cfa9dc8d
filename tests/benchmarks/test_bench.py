"""The benchmark's own parts: the data set's shape, the pages it measures, the percentiles."""

import datetime

import pytest

from benchmarks import dataset, measures
from benchmarks import results as results_module
from benchmarks.load import Latencies
from households.models import Household
from iml.models import Organisation
from iml.rls import organisation_transaction
from iml.scoping import organisation_context

TODAY = datetime.date(2026, 11, 26)


def test_operator_sizes_are_unequal_and_sum_to_the_total():
    sizes = dataset.operator_sizes(100_000, 300)
    assert sum(sizes) == 100_000
    assert len(sizes) == 300
    assert sizes == sorted(sizes, reverse=True)
    assert 3_000 < sizes[0] < 6_000  # a large federation…
    assert sizes[-1] < 200  # …and many small associations
    assert dataset.scaled(0.01) == (3, 1_000)
    assert dataset.scaled(1) == (300, 100_000)


def test_percentiles_are_nearest_rank():
    latencies = Latencies(samples=[float(n) for n in range(100, 0, -1)], errors=0, seconds=10)
    assert latencies.p50 == 50
    assert latencies.p95 == 95
    assert latencies.maximum == 100
    assert latencies.throughput == 10
    assert Latencies(samples=[7.0], errors=0, seconds=1).p95 == 7


@pytest.fixture
def operator(transactional_db):
    # The importer and the page client run their own transactions, as in the benchmark.
    with organisation_context(None):
        organisation = dataset.add_operator("bench-901", 24, seed=5, today=TODAY)
    return organisation


def test_every_measured_page_answers_the_head(operator):
    with organisation_context(None):
        client = measures.logged_in(operator)
        pages = measures.pages(operator)
        assert [page.key for page in pages] == [
            "household_list", "household_page", "household_ledger", "waiting_list",
            "stock_list", "dashboard", "report_page",
        ]  # fmt: skip
        assert all(page.paths for page in pages)
        for page in pages:
            low, high = measures.query_counts(client, page.paths)
            assert 0 < low <= high, page.key


# The queries of one request of each measured page, with some room (about half as many again)
# over what they cost when the CPU budget was set: a page that starts evaluating a queryset
# per row, or loses a cache, fails here before the benchmark sees it. Aggregate caches are
# off in tests, so the dashboard and the report count their computations too.
QUERY_CEILINGS = {
    "household_list": 18,
    "household_page": 27,
    "household_ledger": 21,
    "waiting_list": 15,
    "stock_list": 20,
    "dashboard": 30,
    "report_page": 130,
}


def test_no_page_grows_its_queries(operator):
    with organisation_context(None):
        client = measures.logged_in(operator)
        counts = {
            page.key: measures.query_counts(client, page.paths)[1]
            for page in measures.pages(operator)
        }
    over = {key: n for key, n in counts.items() if n > QUERY_CEILINGS[key]}
    assert not over, f"queries per request {counts}, ceilings {QUERY_CEILINGS}"


def test_growing_the_others_leaves_the_largest_alone(operator):
    with organisation_context(None):
        dataset.add_operator("bench-902", 6, seed=6, today=TODAY)
        dataset.grow_others("bench-901", 3, seed=1, today=TODAY, log=lambda line: None)
        counts = {}
        for organisation in Organisation.objects.filter(slug__in=["bench-901", "bench-902"]):
            with organisation_transaction(organisation):
                counts[organisation.slug] = Household.objects.count()
    assert counts == {"bench-901": 24, "bench-902": 18}


def test_the_page_table_shows_the_cpu_budget():
    load = {"requests": 10, "errors": 0, "throughput": 50.0, "p50": 90.0, "p95": 140.0,
            "maximum": 160.0}  # fmt: skip
    page = {"key": "k", "label": "Liste", "queries_min": 7, "queries_max": 8,
            "saturated": load, "paced": None}  # fmt: skip
    results = {
        "date": "2026-12-07", "scale": 0.01, "seed": 1,
        "machine": {"commit": "abc", "cpu": "x", "cores": 2, "memory": "4 Gio",
                    "postgresql": "16", "python": "3.11"},
        "load": {"workers": 5, "clients": 20, "duration": 15, "think": 0, "query_samples": 5},
        "pages": [
            {**page, "cpu_ms": 7.94, "cold_cpu_ms": 21.25, "cold_queries_max": 13},
            {**page, "label": "Fiche", "cpu_ms": 8.5},
            {**page, "label": "Ancienne"},  # results written before the CPU column
        ],
    }  # fmt: skip
    rows = [line for line in results_module.markdown(results).splitlines() if "| 7–8 |" in line]
    assert rows[0].startswith("| Liste | 7–8 | 7,9 | ✅ | 13 | 21,2 | 50 |")
    assert rows[1].startswith("| Fiche | 7–8 | 8,5 | ❌ | — | — | 50 |")
    assert rows[2].startswith("| Ancienne | 7–8 | — | — | — | — | 50 |")


def test_pages_read_from_the_cache_keep_the_budget_s_queries(operator, settings):
    """With their blocks in the cache (as between two writes of the operator), every measured
    page costs at most the budget's queries; after a write, what it cost before the cache."""
    from iml import dataversion

    settings.IML_AGGREGATE_CACHE = True
    dataversion.forget_all()
    with organisation_context(None):
        client = measures.logged_in(operator)
        costs = {
            page.key: measures.page_cost(operator, client, page.paths)
            for page in measures.pages(operator)
        }
    over = {key: cost.queries_max for key, cost in costs.items()
            if cost.queries_max > results_module.PAGE_QUERIES}  # fmt: skip
    assert not over, over
    colder = {key: (cost.queries_max, cost.cold_queries_max) for key, cost in costs.items()
              if cost.cold_queries_max > QUERY_CEILINGS[key]}  # fmt: skip
    assert not colder, colder
