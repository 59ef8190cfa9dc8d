"""The definitions of the annual report (shared/docs/annual-report.md), written once.

Everything here is a queryset, a ``Q`` or an SQL expression: the report (``compute``), its data
quality list (``quality``) and the drill-down of the report page (``drilldown.figure_queryset``)
all count through these, so that a number and the list behind it never disagree.

How the person-level rules are computed: **in SQL**, with annotations.

- Ages in completed years and lengths of stay in completed months are SQL expressions
  (``CompletedYears``, ``CompletedMonths``) over the reference date of each row, the same
  arithmetic as ``Person.age_at``: a year (month) is completed when the month and day (day)
  come again; born 29 February, the year completes on 1 March in other years; 31 January →
  28 February is 0 months. ``completed_years`` and ``completed_months`` are their Python twins.
- The typology of a household is computed by a correlated subquery over the persons of its
  group (one aggregated row per household: adults, children, sex of the adult), so that the
  household queryset can be grouped and filtered by ``typology`` in SQL.
- Resources, employment and balances at a date are correlated subqueries too.

Every function takes a ``ReportScope`` (dispositif, start, end) and must run inside the
organisation's context (``organisation_context`` / ``organisation_transaction``): the scoped
managers and row-level security see only that organisation.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, models
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from households.models import EmploymentRecord, Household, Person, ResourceRecord, q_present_at
from housing.models import HousingUnit, Room
from iml.codes import LedgerKind, PersonRole, Sex
from tenancy import money
from tenancy.models import LedgerEntry, SubleaseContract

if TYPE_CHECKING:
    from iml.models import Dispositif

UNKNOWN = "inconnu"
GROUPS = ("present_at_end", "entries", "exits")
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO_MONEY = Value(Decimal("0.00"), output_field=MONEY)


@dataclass(frozen=True)
class ReportScope:
    """One dispositif over one period ``[start, end]``, both days included."""

    dispositif: Dispositif
    start: datetime.date
    end: datetime.date

    @property
    def day_before_start(self) -> datetime.date:
        """The date of "present at start"."""
        return self.start - datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def date_value(day: datetime.date) -> Value:
    return Value(day, output_field=DateField())


# --- Dates arithmetic -----------------------------------------------------------------------


def completed_years(birth: datetime.date, day: datetime.date) -> int:
    """Completed years at ``day`` (born 29 February: completed on 1 March in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def completed_months(start: datetime.date, day: datetime.date) -> int:
    """Completed months from ``start`` to ``day``: a month completes when the day of the month
    comes again (31 Jan → 28 Feb: 0; 31 Jan → 1 Mar: 1; 1 May → 31 Oct: 5)."""
    return (day.year - start.year) * 12 + day.month - start.month - (day.day < start.day)


class _TwoDates(Func):
    """An integer computed from two dates, ``{L}`` (later) and ``{E}`` (earlier)."""

    arity = 2
    output_field = IntegerField()
    formula = ""

    def as_sql(self, compiler, connection, **extra_context):
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        operands = {
            "{L}": (f"CAST({later[0]} AS date)", list(later[1])),
            "{E}": (f"CAST({earlier[0]} AS date)", list(earlier[1])),
        }
        sql, params = [], []
        for piece in re.split(r"(\{L\}|\{E\})", self.formula):
            if piece in operands:
                sql.append(operands[piece][0])
                params.extend(operands[piece][1])
            else:
                sql.append(piece)
        return "".join(sql), params


class CompletedYears(_TwoDates):
    """``CompletedYears(day, birth_date)``: age at ``day`` in completed years."""

    formula = (
        "(CAST(EXTRACT(YEAR FROM {L}) - EXTRACT(YEAR FROM {E}) AS integer)"
        " - CASE WHEN TO_CHAR({L}, 'MMDD') < TO_CHAR({E}, 'MMDD') THEN 1 ELSE 0 END)"
    )


class CompletedMonths(_TwoDates):
    """``CompletedMonths(day, start)``: completed months from ``start`` to ``day``."""

    formula = (
        "(CAST((EXTRACT(YEAR FROM {L}) - EXTRACT(YEAR FROM {E})) * 12"
        " + EXTRACT(MONTH FROM {L}) - EXTRACT(MONTH FROM {E}) AS integer)"
        " - CASE WHEN EXTRACT(DAY FROM {L}) < EXTRACT(DAY FROM {E}) THEN 1 ELSE 0 END)"
    )


class DaysBetween(_TwoDates):
    """``DaysBetween(later, earlier)``: number of days from ``earlier`` to ``later``."""

    formula = "({L} - {E})"


class ResourceCombination(Func):
    """The report key of a resources array: distinct codes sorted (byte order, as Python's
    ``sorted``) and joined with ``+`` (``iml.codes.resource_combination``)."""

    arity = 1
    output_field = CharField()
    template = (
        'ARRAY_TO_STRING(ARRAY(SELECT DISTINCT code COLLATE "C" FROM UNNEST(%(expressions)s)'
        " AS resource(code) ORDER BY 1), '+')"
    )


# --- Households -----------------------------------------------------------------------------


# Present at ``day``: the households app's one definition.
q_household_present_at = q_present_at


def q_household_entered(scope: ReportScope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}entry_date__range": (scope.start, scope.end)})


def q_household_exited(scope: ReportScope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}exit_date__range": (scope.start, scope.end)})


def q_household_accompanied(scope: ReportScope, prefix: str = "") -> Q:
    """Present at start or entered: entered by ``end`` and not out before ``start``."""
    return Q(**{f"{prefix}entry_date__lte": scope.end}) & (
        Q(**{f"{prefix}exit_date__isnull": True}) | Q(**{f"{prefix}exit_date__gte": scope.start})
    )


def households_in(scope: ReportScope) -> models.QuerySet:
    """The dispositif's households (every status)."""
    return Household.objects.filter(dispositif=scope.dispositif)


def households_present_at(scope: ReportScope, day: datetime.date) -> models.QuerySet:
    return households_in(scope).filter(q_household_present_at(day))


def households_present_at_start(scope: ReportScope) -> models.QuerySet:
    return households_present_at(scope, scope.day_before_start)


def households_present_at_end(scope: ReportScope) -> models.QuerySet:
    return households_present_at(scope, scope.end)


def households_entered(scope: ReportScope) -> models.QuerySet:
    return households_in(scope).filter(q_household_entered(scope))


def households_exited(scope: ReportScope) -> models.QuerySet:
    return households_in(scope).filter(q_household_exited(scope))


def households_accompanied(scope: ReportScope) -> models.QuerySet:
    return households_in(scope).filter(q_household_accompanied(scope))


# --- Persons --------------------------------------------------------------------------------


def persons_in(scope: ReportScope) -> models.QuerySet:
    """Persons of the dispositif's households that entered, with their own dates annotated:
    ``p_joined`` (own joined date, default the household's entry date) and ``p_left`` (own
    left date, default the household's exit date; NULL while still in).

    Own dates are kept within the household's stay (GREATEST / LEAST ignore NULLs in
    PostgreSQL): nobody is in the dispositif before the household entered or after it left.
    Persons of a household that never entered are counted nowhere.
    """
    return (
        Person.objects.filter(household__dispositif=scope.dispositif)
        .filter(household__entry_date__isnull=False)
        .annotate(
            p_joined=Greatest("joined_date", "household__entry_date", output_field=DateField()),
            p_left=Least("left_date", "household__exit_date", output_field=DateField()),
        )
    )


def q_person_present_at(day) -> Q:
    """On a ``persons_in`` queryset: in the household at ``day`` (a date or an expression)."""
    return Q(p_joined__lte=day) & (Q(p_left__isnull=True) | Q(p_left__gt=day))


def q_person_entered(scope: ReportScope) -> Q:
    return Q(p_joined__range=(scope.start, scope.end))


def q_person_exited(scope: ReportScope) -> Q:
    return Q(p_left__range=(scope.start, scope.end))


def q_person_accompanied(scope: ReportScope) -> Q:
    return Q(p_joined__lte=scope.end) & (Q(p_left__isnull=True) | Q(p_left__gte=scope.start))


def persons_present_at(scope: ReportScope, day: datetime.date) -> models.QuerySet:
    return persons_in(scope).filter(q_person_present_at(day))


def persons_present_at_start(scope: ReportScope) -> models.QuerySet:
    return persons_present_at(scope, scope.day_before_start)


def persons_present_at_end(scope: ReportScope) -> models.QuerySet:
    return persons_present_at(scope, scope.end)


def persons_entered(scope: ReportScope) -> models.QuerySet:
    return persons_in(scope).filter(q_person_entered(scope))


def persons_exited(scope: ReportScope) -> models.QuerySet:
    return persons_in(scope).filter(q_person_exited(scope))


def persons_accompanied(scope: ReportScope) -> models.QuerySet:
    return persons_in(scope).filter(q_person_accompanied(scope))


Q_ADULT = ~Q(role=PersonRole.ENFANT)
Q_CHILD = Q(role=PersonRole.ENFANT)


def adults_accompanied(scope: ReportScope) -> models.QuerySet:
    return persons_accompanied(scope).filter(Q_ADULT)


# --- The three groups -----------------------------------------------------------------------


def q_group_household(scope: ReportScope, group: str) -> Q:
    """On a household queryset: the households of ``group``."""
    return {
        "present_at_end": q_household_present_at(scope.end),
        "entries": q_household_entered(scope),
        "exits": q_household_exited(scope),
    }[group]


def q_group_person(scope: ReportScope, group: str) -> Q:
    """On a ``persons_in`` queryset: the persons of ``group`` (their household included).

    - present at end: persons present at ``end`` (their household then is too);
    - entries: persons present on the household's entry date, household entered;
    - exits: persons who leave with the household (joined on or before its exit date, left
      date — own or default — equal to it), household exited.
    """
    if group == "present_at_end":
        return q_person_present_at(scope.end)
    if group == "entries":
        entry = F("household__entry_date")
        return q_household_entered(scope, "household__") & q_person_present_at(entry)
    if group == "exits":
        exit_date = F("household__exit_date")
        return (
            q_household_exited(scope, "household__")
            & Q(p_joined__lte=exit_date)
            & Q(p_left=exit_date)
        )
    raise ValueError(f"Groupe inconnu : {group}")


def group_reference_date(scope: ReportScope, group: str, prefix: str = "") -> models.Expression:
    """The reference date of a group's rows (``prefix`` "household__" for persons)."""
    return {
        "present_at_end": date_value(scope.end),
        "entries": F(f"{prefix}entry_date"),
        "exits": F(f"{prefix}exit_date"),
    }[group]


def group_persons(scope: ReportScope, group: str) -> models.QuerySet:
    """Persons of the group, annotated with ``ref_date`` and ``age`` (completed years)."""
    return (
        persons_in(scope)
        .filter(q_group_person(scope, group))
        .annotate(ref_date=group_reference_date(scope, group, "household__"))
        .annotate(age=CompletedYears("ref_date", "birth_date"))
    )


def q_child_of_age(age_field: str = "age") -> Q:
    return Q_CHILD & Q(**{f"{age_field}__gte": 18})


TYPOLOGIES = (
    "femme_seule",
    "homme_seul",
    "personne_seule",
    "couple_sans_enfant",
    "groupe_adultes",
    "femme_avec_enfants",
    "homme_avec_enfants",
    "personne_avec_enfants",
    "couple_avec_enfants",
)


def _typology_case() -> Case:
    """Over the aggregates ``_adults``, ``_children`` and ``_sex`` (the sex of the adult when
    there is one) of a household's persons of a group."""

    def by_sex(woman: str, man: str, person: str) -> Case:
        return Case(
            When(_sex=Sex.F, then=Value(woman)),
            When(_sex=Sex.M, then=Value(man)),
            default=Value(person),
        )

    without_child = Case(
        When(_adults=1, then=by_sex("femme_seule", "homme_seul", "personne_seule")),
        When(_adults=2, then=Value("couple_sans_enfant")),
        default=Value("groupe_adultes"),
    )
    return Case(
        When(_adults=0, then=Value(UNKNOWN)),
        When(_children=0, then=without_child),
        When(
            _adults=1,
            then=by_sex("femme_avec_enfants", "homme_avec_enfants", "personne_avec_enfants"),
        ),
        default=Value("couple_avec_enfants"),
        output_field=CharField(),
    )


def _composition(scope: ReportScope, group: str) -> models.QuerySet:
    """The persons of ``group`` of the household of the outer row (``OuterRef("pk")``) in one
    aggregated row: ``_adults``, ``_children`` and ``_sex`` (the sex of the adult when there is
    one). No row when the household has no person in the group."""
    return (
        persons_in(scope)
        .filter(q_group_person(scope, group), household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(
            _adults=Count("pk", filter=Q_ADULT),
            _children=Count("pk", filter=Q_CHILD),
            _sex=Max("sex", filter=Q_ADULT),
        )
    )


def q_group_without_adult(scope: ReportScope, group: str) -> Q:
    """On a household queryset: the households of ``group`` without an adult among the group's
    persons, whose typology is therefore ``inconnu`` (the composition gap)."""
    adults = persons_in(scope).filter(
        q_group_person(scope, group), Q_ADULT, household=OuterRef("pk")
    )
    return q_group_household(scope, group) & ~Exists(adults)


def resources_at(day) -> Coalesce:
    """Per household (a household queryset's row): the resource combination at ``day`` (a date,
    or ``OuterRef`` to a date of the household's row): the latest record dated on or before
    it, else the earliest record; two records of one date: the one recorded last.
    ``inconnu`` when there is none."""
    records = ResourceRecord.objects.filter(household=OuterRef("pk")).annotate(
        key=ResourceCombination("resources")
    )
    latest_before = records.filter(date__lte=day).order_by("-date", "-created_at", "-pk")
    earliest = records.order_by("date", "-created_at", "-pk")
    return Coalesce(
        Subquery(latest_before.values("key")[:1]),
        Subquery(earliest.values("key")[:1]),
        Value(UNKNOWN),
        output_field=CharField(),
    )


def q_without_resources() -> Q:
    """On a household queryset: no resource record at all, the resources are ``inconnu``
    whatever the date (``resources_at``)."""
    return ~Exists(ResourceRecord.objects.filter(household=OuterRef("pk")))


def employment_at(scope: ReportScope) -> Coalesce:
    """Per person: the latest employment record dated within the period, else the latest
    before it — that is the latest dated on or before ``end``; never a later one."""
    records = EmploymentRecord.objects.filter(person=OuterRef("pk"), date__lte=scope.end)
    latest = records.order_by("-date", "-created_at", "-pk").values("employment")[:1]
    return Coalesce(Subquery(latest), Value(UNKNOWN), output_field=CharField())


def group_households(scope: ReportScope, group: str) -> models.QuerySet:
    """Households of the group, annotated with:

    ``ref_date``; ``children`` (the group's children of the household); ``typology``
    (``inconnu`` without an adult); ``resources_key`` (the combination at the reference date,
    or ``inconnu``); ``stay_months`` and ``stay_days`` (from the entry date to the reference
    date).
    """
    composition = _composition(scope, group)
    typology = composition.annotate(_typology=_typology_case()).values("_typology")
    return (
        households_in(scope)
        .filter(q_group_household(scope, group))
        .annotate(ref_date=group_reference_date(scope, group))
        .annotate(
            children=Coalesce(Subquery(composition.values("_children")), 0),
            typology=Coalesce(Subquery(typology), Value(UNKNOWN), output_field=CharField()),
            resources_key=resources_at(OuterRef("ref_date")),
            stay_months=CompletedMonths("ref_date", "entry_date"),
            stay_days=DaysBetween("ref_date", "entry_date"),
        )
    )


Q_REINFORCED = Q(reinforced_support=True)

# Length-of-stay buckets of the groups that have one (``stay_months`` of ``group_households``).
PRESENT_STAY_BUCKETS = ("lt6", "m6_12", "gt12")
EXIT_STAY_BUCKETS = ("lt6", "m6_12", "m13_18", "gt18")
STAY_BUCKETS = {"present_at_end": PRESENT_STAY_BUCKETS, "exits": EXIT_STAY_BUCKETS}


def q_stay_bucket(bucket: str) -> Q:
    """On ``group_households``: the completed months of stay of a length-of-stay bucket."""
    return {
        "lt6": Q(stay_months__lt=6),
        "m6_12": Q(stay_months__gte=6, stay_months__lte=12),
        "gt12": Q(stay_months__gt=12),
        "m13_18": Q(stay_months__gte=13, stay_months__lte=18),
        "gt18": Q(stay_months__gt=18),
    }[bucket]


def age_bracket_labels(dispositif) -> list[tuple[str, int, int | None]]:
    """The dispositif's age brackets: (label, low, high or None for the open one)."""
    return [
        (f"{low}+" if high is None else f"{low}-{high}", low, high)
        for low, high in dispositif.parsed_age_brackets
    ]


def q_age_bracket(low: int, high: int | None, field: str = "age") -> Q:
    """On ``group_persons``: the ages (completed years) of an age bracket."""
    condition = Q(**{f"{field}__gte": low})
    return condition if high is None else condition & Q(**{f"{field}__lte": high})


# --- Exits: sinistralité --------------------------------------------------------------------


def balance_at(day, *, rent_only: bool = False) -> Coalesce:
    """Per household: debits - credits of its entries dated on or before ``day`` (a date, or
    ``OuterRef`` to one). Positive: a debt. ``rent_only``: the rent debt (no damages). The
    money module's balance (``tenancy.money``)."""
    return money.balance_subquery("contract__household", at=day, rent_only=rent_only)


def has_damage() -> Exists:
    """Per household: at least one ``degradation`` entry not reversed, whatever its date."""
    return Exists(
        LedgerEntry.objects.filter(
            contract__household=OuterRef("pk"),
            kind=LedgerKind.DEGRADATION,
            reversals__isnull=True,
        )
    )


SINISTRALITE = ("aucun", "impaye", "degradation", "multiple")


def with_sinistralite(households: models.QuerySet) -> models.QuerySet:
    """Annotates exited households with ``rent_debt`` (balance at the exit date without
    damages: credits reduce rent debt first), ``damage`` and ``sinistralite``."""
    with_damage = When(damage=True, then=Value("multiple"))
    without_debt = Case(When(damage=True, then=Value("degradation")), default=Value("aucun"))
    return households.annotate(
        rent_debt=balance_at(OuterRef("exit_date"), rent_only=True),
        damage=has_damage(),
    ).annotate(
        # A rent debt or not, then a damage or not: each subquery read once per household.
        sinistralite=Case(
            When(rent_debt__gt=0, then=Case(with_damage, default=Value("impaye"))),
            default=without_debt,
            output_field=CharField(),
        )
    )


# --- Orientations ---------------------------------------------------------------------------


def q_oriented_in(scope: ReportScope) -> Q:
    return Q(orientation_date__range=(scope.start, scope.end))


def q_admitted(scope: ReportScope) -> Q:
    return q_oriented_in(scope) & q_household_entered(scope)


def q_withdrawn_in(scope: ReportScope) -> Q:
    return Q(withdrawal_date__range=(scope.start, scope.end))


def q_pending_at_end(scope: ReportScope) -> Q:
    """Oriented on or before ``end``, not entered by ``end``, not withdrawn by ``end``."""
    return (
        Q(orientation_date__lte=scope.end)
        & (Q(entry_date__isnull=True) | Q(entry_date__gt=scope.end))
        & (Q(withdrawal_date__isnull=True) | Q(withdrawal_date__gt=scope.end))
    )


# --- Rent -----------------------------------------------------------------------------------


def ledger_of(scope: ReportScope) -> models.QuerySet:
    """The ledger of the dispositif's households, all their contracts."""
    return LedgerEntry.objects.filter(contract__household__dispositif=scope.dispositif)


def kind_amount(kind: str) -> models.Expression:
    """For an aggregate over ledger entries: the amount of ``kind`` entries less the
    ``annulation`` entries that reverse one (each counted on its own date)."""
    return money.net_amount(kind)


# --- Housing stock --------------------------------------------------------------------------


def units_in(scope: ReportScope) -> models.QuerySet:
    return HousingUnit.objects.filter(dispositif=scope.dispositif)


def units_in_stock_at(scope: ReportScope, day: datetime.date) -> models.QuerySet:
    """In stock at ``day``: ``captation_date <= day < return_date`` (or no return)."""
    return units_in(scope).in_stock(day)


def with_occupied_at(units: models.QuerySet, day: datetime.date) -> models.QuerySet:
    """Annotates ``occupied``: the unit or one of its rooms is covered by a contract at
    ``day``."""
    covering = SubleaseContract.objects.filter(unit=OuterRef("pk")).covering(day)
    return units.annotate(occupied=Exists(covering))


@dataclass(frozen=True)
class StockDays:
    unit_days: int  # sum over the days of the period of the units in stock that day
    available: int  # place-days available
    occupied: int  # place-days occupied


# Without a row per day: each unit's days in stock within the period as [s, e), the contracts
# covering it clipped to them, then a sweep over the days where the coverage changes.
_STOCK_DAYS_SQL = """
WITH stock AS (
    SELECT u.id, u.places, GREATEST(u.captation_date, %(start)s::date) AS s,
           LEAST(COALESCE(u.return_date, %(after_end)s::date), %(after_end)s::date) AS e
    FROM {unit} u
    WHERE u.organisation_id = %(organisation)s AND u.dispositif_id = %(dispositif)s
),
covers AS (
    SELECT stock.id, GREATEST(c.start_date, stock.s) AS s,
           LEAST(COALESCE(c.actual_end_date, stock.e), stock.e) AS e,
           (c.room_id IS NULL)::int AS whole, COALESCE(r.places, 0) AS room_places
    FROM stock
    JOIN {contract} c ON c.unit_id = stock.id AND c.organisation_id = %(organisation)s
    LEFT JOIN {room} r ON r.id = c.room_id
    WHERE stock.s < stock.e
),
steps AS (
    SELECT covers.id, edge.day, sum(edge.sign * covers.whole) AS whole,
           sum(edge.sign * covers.room_places) AS room_places
    FROM covers
    CROSS JOIN LATERAL (VALUES (covers.s, 1), (covers.e, -1)) AS edge(day, sign)
    WHERE covers.s < covers.e
    GROUP BY covers.id, edge.day
),
levels AS (
    SELECT id, day, lead(day) OVER w AS next_day,
           sum(whole) OVER w AS whole, sum(room_places) OVER w AS room_places
    FROM steps
    WINDOW w AS (PARTITION BY id ORDER BY day)
)
SELECT (SELECT COALESCE(sum(e - s), 0) FROM stock WHERE s < e),
       (SELECT COALESCE(sum(places * (e - s)), 0) FROM stock WHERE s < e),
       (SELECT COALESCE(sum((levels.next_day - levels.day)
                            * CASE WHEN levels.whole > 0 THEN stock.places
                                   ELSE LEAST(stock.places, levels.room_places) END), 0)
        FROM levels JOIN stock ON stock.id = levels.id
        WHERE levels.next_day IS NOT NULL)
"""


def stock_days(scope: ReportScope) -> StockDays:
    """Unit-days and place-days of the dispositif's units over the period, in one query.

    Available: the unit's places on each day it is in stock. Occupied: all its places on a day
    a whole-unit contract covers it, else the places of its rooms covered by a room contract
    that day, at most the unit's places.
    """
    sql = _STOCK_DAYS_SQL.format(
        unit=connection.ops.quote_name(HousingUnit._meta.db_table),
        contract=connection.ops.quote_name(SubleaseContract._meta.db_table),
        room=connection.ops.quote_name(Room._meta.db_table),
    )
    params = {
        "start": scope.start,
        "after_end": scope.end + datetime.timedelta(days=1),
        "organisation": scope.dispositif.organisation_id,
        "dispositif": scope.dispositif.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        unit_days, available, occupied = cursor.fetchone()
    return StockDays(int(unit_days), int(available), int(occupied))
