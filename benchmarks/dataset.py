"""The national-scale data set of the benchmarks, generated reproducibly.

Operators are of very unequal sizes (a Zipf-like law: a few large federations, many small
associations). Each operator's history is a synthetic interchange workbook
(``workbook.bench``, seeded by the operator's rank) loaded by the real importer: the rows go
into PostgreSQL by ``COPY`` and set-based ``INSERT … SELECT`` (``workbook.fastinsert``), under
row-level security, with every constraint and history trigger on, so the data set holds
what the application itself would have written.
"""

from __future__ import annotations

import datetime
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection

from households.models import Household
from iml import dataversion
from iml.models import Membership, Organisation, Role, User
from iml.rls import as_owner, organisation_transaction
from workbook import reader
from workbook.bench import Shape, synthetic_workbook
from workbook.importer import import_workbook
from workbook.reader import read_path

# At scale 1: the national figures the platform is sized for.
OPERATORS = 300
HOUSEHOLDS = 100_000
ZIPF_EXPONENT = 0.6
# Per household: one visit a month while housed (≈ 10 on average), stays of 6 to 48 months
# (≈ 58 ledger entries), 0.42 flats captured (≈ 0.41 in the end).
VISITS = 12
VISIT_EVERY_DAYS = 30
STAY_MONTHS = (6, 48)
UNITS_PER_HOUSEHOLD = 0.42
SLUG_PREFIX = "bench-"
ROLES = {Role.HEAD: "chef", Role.SOCIAL_WORKER: "ts", Role.REGISSEUR: "regie"}

# What the generation reports, table by table.
COUNTED_TABLES = {
    "organisations": None,
    "ménages": "households_household",
    "personnes": "households_person",
    "logements": "housing_housingunit",
    "contrats de sous-location": "tenancy_subleasecontract",
    "écritures du compte": "tenancy_ledgerentry",
    "interactions": "support_interaction",
}


def operator_sizes(households: int, operators: int) -> list[int]:
    """Households per operator, largest first, summing to ``households``."""
    weights = [1 / (rank**ZIPF_EXPONENT) for rank in range(1, operators + 1)]
    total = sum(weights)
    sizes = [max(1, int(households * weight / total)) for weight in weights]
    for index in range(households - sum(sizes)):  # the rounding remainder, to the largest
        sizes[index % operators] += 1
    return sizes


def scaled(scale: float) -> tuple[int, int]:
    """(operators, households) at ``scale`` — at least three operators."""
    return max(3, round(OPERATORS * scale)), max(30, round(HOUSEHOLDS * scale))


def user_email(slug: str, role: str) -> str:
    return f"{ROLES[role]}@{slug}.bench.example"


@dataclass
class Operator:
    slug: str
    households: int
    seconds: float


@dataclass
class Generation:
    seconds: float = 0.0
    operators: list[Operator] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def largest(self) -> Operator:
        return max(self.operators, key=lambda operator: operator.households)


def reset_database() -> None:
    """Empty every table but Django's own catalogue (as the owner: TRUNCATE is the owner's)."""
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename NOT IN "
            "('django_migrations', 'django_content_type', 'auth_permission')"
        )
        tables = cursor.fetchone()[0]
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    dataversion.forget_all()


def add_operator(
    slug: str, households: int, seed: int, today: datetime.date, *, prefix: str = ""
) -> Organisation:
    """An operator, its three staff members, and ``households`` households of history."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": f"Opérateur {slug}", "departement": "71"}
    )
    with organisation_transaction(organisation):
        for role in ROLES:
            # No password: the benchmark logs in with a session of its own, and hashing 900
            # passwords would take minutes of the generation.
            user, _ = User.objects.get_or_create(
                email=user_email(slug, role), defaults={"password": make_password(None)}
            )
            Membership.objects.get_or_create(organisation=organisation, user=user, role=role)
    shape = Shape(
        staff_email=user_email(slug, Role.HEAD),
        visits=VISITS,
        visit_every=VISIT_EVERY_DAYS,
        stay_months=STAY_MONTHS,
        units_per_household=UNITS_PER_HOUSEHOLD,
        prefix=prefix,
    )
    folder = synthetic_workbook(households, seed, today=today, shape=shape)
    try:
        with organisation_transaction(organisation):
            # Generated at national scale, one operator's workbook exceeds the caps an upload
            # must respect (``workbook.reader``): the benchmark reads it uncapped.
            import_workbook(read_path(folder, limits=reader.UNCAPPED), organisation, today=today)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return organisation


def generate(
    scale: float, seed: int, today: datetime.date, log: Callable[[str], None]
) -> Generation:
    operators, households = scaled(scale)
    result = Generation()
    started = time.monotonic()
    for rank, size in enumerate(operator_sizes(households, operators), start=1):
        begun = time.monotonic()
        slug = f"{SLUG_PREFIX}{rank:03d}"
        add_operator(slug, size, seed * 1000 + rank, today)
        result.operators.append(Operator(slug, size, time.monotonic() - begun))
        if rank % 25 == 0 or rank == operators:
            log(f"  {rank}/{operators} opérateurs, {time.monotonic() - started:.0f} s")
    analyse()
    result.seconds = time.monotonic() - started
    result.counts = table_counts()
    return result


def analyse() -> None:
    """Planner statistics for the new rows, as autovacuum would gather them a little later
    (without them, PostgreSQL plans the first queries on a large table as on an empty one)."""
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def table_counts() -> dict[str, int]:
    """Rows of the main tables, all organisations (each counted in its own transaction:
    row-level security shows no role every organisation at once)."""
    counts = dict.fromkeys(COUNTED_TABLES, 0)
    counts["organisations"] = Organisation.objects.count()
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_transaction(organisation), connection.cursor() as cursor:
            for label, table in COUNTED_TABLES.items():
                if label != "organisations":
                    cursor.execute(f'SELECT count(*) FROM "{table}"')
                    counts[label] += cursor.fetchone()[0]
    return counts


def existing() -> Generation | None:
    """The data set already in the database (``--reuse``), or None."""
    operators = list(Organisation.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug"))
    if not operators:
        return None
    result = Generation()
    for organisation in operators:
        with organisation_transaction(organisation):
            count = Household.objects.count()
        result.operators.append(Operator(organisation.slug, count, 0.0))
    analyse()
    result.counts = table_counts()
    return result


def grow_others(
    largest: str, factor: int, seed: int, today: datetime.date, log: Callable[[str], None]
) -> float:
    """Multiply by ``factor`` the households of every operator but ``largest``: a second
    batch of ``factor - 1`` times their size, with its own references. Returns the seconds."""
    started = time.monotonic()
    others = Organisation.objects.filter(slug__startswith=SLUG_PREFIX).exclude(slug=largest)
    for index, organisation in enumerate(others.order_by("slug"), start=1):
        with organisation_transaction(organisation):
            size = Household.objects.count()
        add_operator(organisation.slug, size * (factor - 1), seed * 7919 + index, today, prefix="G")
        log(f"  {organisation.slug} : {size} → {size * factor} ménages")
    analyse()
    return time.monotonic() - started
