"""What the benchmark measures, on the generated data set: the pages of the largest operator
(latency under load and queries per request), the annual report against its SQL floor, the
nightly and monthly jobs, the workbook import."""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import load
from benchmarks.dataset import user_email
from households.models import Household, HouseholdStatus
from iml.models import Dispositif, Organisation, Role, User
from iml.rls import as_owner, organisation_transaction

# Distinct households and flats the load cycles through (no page served from a warm cache
# of one row).
SAMPLE = 200
# Requests of a page whose queries are counted.
QUERY_SAMPLES = 5
# Requests timed for the web process's CPU: enough for a stable median.
CPU_SAMPLES = 30


@dataclass
class Page:
    key: str
    label: str
    paths: list[str]


@dataclass
class LoadFigure:
    requests: int
    errors: int
    throughput: float
    p50: float
    p95: float
    maximum: float

    @classmethod
    def of(cls, latencies: load.Latencies) -> LoadFigure:
        return cls(
            len(latencies.samples),
            latencies.errors,
            latencies.throughput,
            latencies.p50,
            latencies.p95,
            latencies.maximum,
        )


@dataclass
class PageFigure:
    key: str
    label: str
    queries_min: int
    queries_max: int
    saturated: LoadFigure  # clients without a pause: the server's limit
    paced: LoadFigure | None  # clients pausing as people do between pages
    # Median CPU of one request in the web process (Python: middleware, view, ORM, templates;
    # not PostgreSQL's share), in milliseconds; the cached blocks of pages read from the cache.
    cpu_ms: float | None = None
    # The same and the most queries without them (after a write of the organisation).
    cold_cpu_ms: float | None = None
    cold_queries_max: int | None = None


def pages(organisation: Organisation) -> list[Page]:
    """The pages measured, as the operator's head of service sees them."""
    with organisation_transaction(organisation):
        housed = list(
            Household.objects.with_status_filter(HouseholdStatus.PRESENT)
            .order_by("pk")
            .values_list("public_id", flat=True)[:SAMPLE]
        )
    return [
        Page("household_list", "Liste des ménages", [reverse("households:household_list")]),
        Page(
            "household_page",
            "Fiche d’un ménage",
            [reverse("households:household_detail", args=[key]) for key in housed],
        ),
        Page(
            "household_ledger",
            "Compte d’un ménage",
            [reverse("tenancy:household_account", args=[key]) for key in housed],
        ),
        Page("waiting_list", "Liste d’attente", [reverse("households:waiting_list")]),
        Page("stock_list", "Parc de logements", [reverse("housing:unit_list")]),
        Page("dashboard", "Tableau de bord (alertes)", [reverse("dashboard")]),
        Page("report_page", "Page du rapport annuel", [reverse("reporting:report_page")]),
    ]


def logged_in(organisation: Organisation) -> Client:
    """A client logged in as the operator's head, second factor passed (a static device, as
    after a backup code)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    user = User.objects.get(email=user_email(organisation.slug, Role.HEAD))
    client = Client()
    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="banc d’essai", defaults={"confirmed": True}
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def cookie_header(client: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


def query_counts(
    client: Client,
    paths: list[str],
    sample: int = QUERY_SAMPLES,
    before: Callable[[], object] | None = None,
) -> tuple[int, int]:
    """Fewest and most queries of one request, over ``sample`` requests cycling over the
    paths (all 200), each preceded by ``before`` (not counted)."""
    counts = []
    for index in range(sample):
        path = paths[index % len(paths)]
        if before:
            before()
        # With DEBUG on, the log is a bounded deque: once full, the context counts nothing.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts.append(len(queries))
    return min(counts), max(counts)


def cpu_per_request(
    client: Client,
    paths: list[str],
    sample: int = CPU_SAMPLES,
    before: Callable[[], object] | None = None,
) -> float:
    """The median CPU time of one request, in milliseconds, as the web process spends it: the
    test client runs the whole stack (middleware, view, templates) in this process, so that
    ``time.process_time`` counts it and nothing else (the database works in its own process).
    Each request is preceded by ``before`` (not timed)."""
    times = []
    for index in range(sample):
        path = paths[index % len(paths)]
        if before:
            before()
        start = time.process_time()
        response = client.get(path)
        times.append((time.process_time() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return statistics.median(times)


@dataclass
class PageCost:
    queries_min: int
    queries_max: int
    cpu_ms: float
    # The same without the cached blocks of pages (``iml.fragments``): as after a write of the
    # organisation, which retires them.
    cold_queries_max: int
    cold_cpu_ms: float


def page_cost(organisation: Organisation, client: Client, paths: list[str]) -> PageCost:
    """A page's queries and CPU without the cached blocks (each request right after a write
    of the operator), then with them (every path requested once: the blocks cached, as the
    load that follows finds them)."""
    from iml import dataversion

    sampled = paths[: max(CPU_SAMPLES, QUERY_SAMPLES)]
    client.get(sampled[0])  # code and templates loaded
    retire = partial(dataversion.touch, organisation.pk)
    _, cold_high = query_counts(client, sampled, before=retire)
    cold_cpu = cpu_per_request(client, sampled, before=retire)
    for path in paths:
        client.get(path)
    low, high = query_counts(client, sampled)
    cpu = cpu_per_request(client, sampled)
    return PageCost(low, high, cpu, cold_high, cold_cpu)


def measure_pages(
    organisation: Organisation,
    *,
    port: int,
    clients: int,
    duration: float,
    think: float,
    only: set[str] | None = None,
) -> list[PageFigure]:
    """Each page: its queries, then ``clients`` clients without a pause, then (if ``think``)
    pausing ``think`` seconds on average."""
    client = logged_in(organisation)
    cookies = cookie_header(client)
    figures = []
    for page in pages(organisation):
        if only and page.key not in only:
            continue
        cost = page_cost(organisation, client, page.paths)
        # Every gunicorn worker serves the page once before the measures (its first request
        # loads templates and code), whatever the number of clients measured.
        load.load(port, page.paths, cookies, clients=10, duration=1, warmup=0)
        saturated = load.load(port, page.paths, cookies, clients=clients, duration=duration)
        paced = (
            load.load(port, page.paths, cookies, clients=clients, duration=duration, think=think)
            if think
            else None
        )
        figures.append(
            PageFigure(
                page.key,
                page.label,
                cost.queries_min,
                cost.queries_max,
                LoadFigure.of(saturated),
                LoadFigure.of(paced) if paced else None,
                cost.cpu_ms,
                cost.cold_cpu_ms,
                cost.cold_queries_max,
            )
        )
    return figures


# --- The annual report ----------------------------------------------------------------------


@dataclass
class ReportFigure:
    dispositif: str
    households: int
    start: str
    end: str
    compute: float
    json: float
    pdf: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.compute / self.floor if self.floor else float("nan")


def _median_time(function: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def time_report(organisation: Organisation, today: datetime.date, repeat: int = 3) -> ReportFigure:
    """The report of the operator's largest dispositif over its last complete period:
    figures (JSON) and PDF, each the median of ``repeat`` runs, against the SQL floor."""
    from benchmarks.floor import report_floor
    from reporting import outputs, services
    from reporting.compute import compute_report

    with organisation_transaction(organisation):
        dispositif = max(
            Dispositif.objects.all(), key=lambda d: Household.objects.filter(dispositif=d).count()
        )
        households = Household.objects.filter(dispositif=dispositif).count()
        start, end = services.default_period(dispositif, today)
        context = services.document_context(dispositif)
        compute = _median_time(lambda: compute_report(dispositif, start, end), repeat)
        floor = _median_time(lambda: report_floor(dispositif, start, end), repeat)
        json_time = _median_time(
            lambda: outputs.render(compute_report(dispositif, start, end), "json"), repeat
        )
        pdf_time = _median_time(
            lambda: outputs.render(compute_report(dispositif, start, end), "pdf", context=context),
            repeat,
        )
    return ReportFigure(
        dispositif.code, households, str(start), str(end), compute, json_time, pdf_time, floor
    )


# --- Jobs -----------------------------------------------------------------------------------


@dataclass
class JobFigure:
    key: str
    label: str
    contracts: int
    first: float
    first_changes: int
    second: float
    second_changes: int


def running_contracts(today: datetime.date) -> int:
    """Contracts running on ``today``, all organisations (each in its own transaction)."""
    from tenancy.models import SubleaseContract

    total = 0
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_transaction(organisation):
            total += SubleaseContract.objects.covering(today).count()
    return total


def time_alert_job(today: datetime.date) -> JobFigure:
    """The nightly alert job from an empty alert table, then again (a no-op)."""
    from alerts.job import sync_all

    with as_owner(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE iml_alert")
    timings, changes = [], []
    for _ in range(2):
        started = time.perf_counter()
        result = sync_all(today)
        timings.append(time.perf_counter() - started)
        changes.append(result.created + result.updated + result.resolved)
    return JobFigure(
        "alerts", "Alertes (nuit)", running_contracts(today), timings[0], changes[0],
        timings[1], changes[1],
    )  # fmt: skip


class _Rollback(Exception):
    pass


def time_rent_call_job(today: datetime.date) -> JobFigure:
    """The monthly rent-call job for next month, then again (a no-op); rolled back, so that
    the data set stays as generated."""
    from tenancy.tasks import issue_monthly_rent_calls

    month = (today.replace(day=1) + relativedelta(months=1)).isoformat()
    timings, changes = [], []
    try:
        with transaction.atomic():
            for _ in range(2):
                started = time.perf_counter()
                changes.append(issue_monthly_rent_calls(month))
                timings.append(time.perf_counter() - started)
            raise _Rollback
    except _Rollback:
        pass
    return JobFigure(
        "rent_calls", f"Appels de loyer ({month[:7]})", running_contracts(today), timings[0],
        changes[0], timings[1], changes[1],
    )  # fmt: skip


def as_dict(figure) -> dict:
    data = asdict(figure)
    if isinstance(figure, ReportFigure):
        data["ratio"] = figure.ratio
    return data
