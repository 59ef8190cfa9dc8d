"""Money between the operator and the outside world, month by month: the CAF's monthly
transfer of housing benefit (tiers payant), and the owner side (what the operator owes and
pays the landlords under its main leases, against what it calls from the households).

Selectors here read a whole month in a fixed number of queries, whatever the number of
contracts or leases (correlated subqueries, no loop of queries); the one service records a
payment to a landlord. The CAF batch itself is written by ``tenancy.ledger.caf_confirm``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Round
from django.utils import timezone

from households.models import Person
from housing.models import MainLease, Room
from iml.codes import LedgerKind, ManagementMode, PaymentMethod, PersonRole
from iml.models import User
from tenancy import money
from tenancy.amounts import clean_amount, days_covered, month_start, next_month, prorate
from tenancy.models import LandlordPayment, LedgerEntry, SubleaseContract

MONEY = DecimalField(max_digits=12, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

# Leases under which the operator is the landlord's tenant and pays the rent itself: the
# sublease, and the sublease towards a sliding lease (the operator stays the tenant until the
# lease slides). Under a management mandate the household is the tenant and pays the owner.
PAID_MODES = (ManagementMode.SOUS_LOCATION, ManagementMode.BAIL_GLISSANT)
# A landlord may be paid in advance, up to this many months after the month of payment.
ADVANCE_MONTHS = 12


def month_days(month: datetime.date) -> int:
    return (next_month(month) - month_start(month)).days


class DaysBetween(Func):
    """``end - start`` of two dates: a number of days (an integer in PostgreSQL)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def _date(day: datetime.date) -> Value:
    return Value(day, output_field=DateField())


def _sum_subquery(queryset: QuerySet, group: str, expression, output_field=MONEY) -> Coalesce:
    """``SUM(expression)`` of ``queryset`` (correlated to the outer row) as a subquery, 0 when
    it has no rows."""
    sums = queryset.order_by().values(group).annotate(total=Sum(expression)).values("total")
    return Coalesce(Subquery(sums, output_field=output_field), Value(0, output_field=output_field))


# --- CAF ------------------------------------------------------------------------------------


def _head(field_name: str) -> Subquery:
    return Subquery(
        Person.objects.filter(household=OuterRef("household"), role=PersonRole.REFERENT)
        .order_by("pk")
        .values(field_name)[:1]
    )


def caf_received_subquery(month: datetime.date) -> Coalesce:
    """Housing benefit received for the row's contract and ``month``: its `apl` entries of the
    month, less the reversals of those entries (a reversed transfer counts as not received)."""
    entries = LedgerEntry.objects.filter(contract=OuterRef("pk")).filter(
        money.for_month(LedgerKind.APL, month)
    )
    # An `apl` entry is a credit and its reversal a debit of the same amount.
    return _sum_subquery(entries, "contract", -money.SIGNED)


def caf_contracts(month: datetime.date) -> QuerySet[SubleaseContract]:
    """Contracts running during ``month`` (at least one day) with a housing benefit expected,
    annotated with the household's reference person, what was received for the month and
    whether a transfer is recorded (and not cancelled): one query."""
    month = month_start(month)
    recorded = LedgerEntry.objects.filter(
        contract=OuterRef("pk"), kind=LedgerKind.APL, period=month, reversals__isnull=True
    )
    return (
        SubleaseContract.objects.filter(
            expected_housing_benefit__gt=0, start_date__lt=next_month(month)
        )
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=month))
        # A contract ended on its first day covers no day at all.
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=F("start_date")))
        .select_related("household")
        .annotate(
            head_first_name=_head("first_name"),
            head_last_name=_head("last_name"),
            received=caf_received_subquery(month),
            is_recorded=Exists(recorded),
        )
        .order_by("household__reference", "reference", "pk")
    )


@dataclass
class CafLine:
    contract: SubleaseContract
    days: int
    expected: Decimal
    received: Decimal
    recorded: bool

    @property
    def difference(self) -> Decimal:
        """Received minus expected: negative when the CAF paid less than expected."""
        return self.received - self.expected

    @property
    def household_name(self) -> str:
        c = self.contract
        return " ".join(p for p in (c.head_first_name, c.head_last_name) if p)


@dataclass
class CafBatch:
    month: datetime.date
    lines: list[CafLine] = field(default_factory=list)

    @property
    def expected(self) -> Decimal:
        return sum((line.expected for line in self.lines), Decimal("0.00"))

    @property
    def received(self) -> Decimal:
        return sum((line.received for line in self.lines), Decimal("0.00"))

    @property
    def difference(self) -> Decimal:
        return self.received - self.expected

    @property
    def open_lines(self) -> list[CafLine]:
        return [line for line in self.lines if not line.recorded]


def caf_batch(month: datetime.date) -> CafBatch:
    """The month's CAF lines: expected benefit prorated by the days of the contract in the
    month (``ledger.prorate``, as the rent calls), received, and whether already recorded.
    One query. Not paginated: the batch is confirmed as a whole."""
    month = month_start(month)
    days_in_month = month_days(month)
    batch = CafBatch(month=month)
    for contract in caf_contracts(month):
        days = days_covered(contract, month)
        batch.lines.append(
            CafLine(
                contract=contract,
                days=days,
                expected=prorate(contract.expected_housing_benefit, days, days_in_month),
                received=contract.received,
                recorded=contract.is_recorded,
            )
        )
    return batch


# --- Owner side -----------------------------------------------------------------------------


def owner_leases(month: datetime.date) -> QuerySet[MainLease]:
    """The main leases under which the operator pays a landlord (``PAID_MODES``) running
    during ``month``, one row each, with the month's figures, in one query:

    - ``lease_days``: days of the month within the lease (its end date is the first day out);
    - ``owed``: rent + charges of the lease prorated by those days, to the cent (PostgreSQL's
      ``round``, half away from zero, as ``ledger.prorate``);
    - ``paid``: the landlord payments recorded for the lease and the month;
    - ``called``: the rent calls (`appel`) of the month of every household contract on the
      unit, net of their reversals (``money.for_month``: the live calls of the month, those
      corrected after a late exit included). When two leases of a unit share a month (a new
      lease after another), the calls count on the later one only, so that they are not
      counted twice;
    - ``differential``: called - owed (negative: the operator pays more than it calls);
    - ``vacant_days`` out of ``capacity_days``, counted over the lease's days of the month.
      A whole flat: days with no household contract on it. A shared flat (colocation with
      rooms): room-days, i.e. for each room the days it is not let, out of rooms x days; a
      contract of the whole shared flat occupies every room. A shared flat without any room
      recorded counts as a whole flat.
    """
    month = month_start(month)
    m0, m1 = _date(month), _date(next_month(month))
    days_in_month = month_days(month)
    window_start = Greatest(F("start_date"), m0)
    window_end = Least(Coalesce(F("end_date"), m1), m1)

    rooms = Subquery(
        Room.objects.filter(unit=OuterRef("unit"))
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    paid = _sum_subquery(
        LandlordPayment.objects.filter(lease=OuterRef("pk"), period=month), "lease", "amount"
    )
    calls = LedgerEntry.objects.filter(contract__unit=OuterRef("unit")).filter(
        money.for_month(LedgerKind.APPEL, month)
    )
    later_lease = MainLease.objects.filter(
        unit=OuterRef("unit"), start_date__gt=OuterRef("start_date"), start_date__lt=m1
    )
    # Days of each contract within the lease's days of the month, times the rooms it holds.
    contracts = SubleaseContract.objects.filter(
        unit=OuterRef("unit"), start_date__lt=OuterRef("window_end")
    ).filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=OuterRef("window_start")))
    contract_days = Greatest(
        DaysBetween(
            Least(Coalesce(F("actual_end_date"), OuterRef("window_end")), OuterRef("window_end")),
            Greatest(F("start_date"), OuterRef("window_start")),
        ),
        Value(0),
    )
    occupied = _sum_subquery(
        contracts,
        "unit",
        contract_days * Case(When(room__isnull=True, then=OuterRef("spaces")), default=Value(1)),
        output_field=IntegerField(),
    )
    return (
        MainLease.objects.filter(management_mode__in=PAID_MODES, start_date__lt=next_month(month))
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=month))
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")))
        .select_related("unit", "landlord")
        .annotate(
            window_start=window_start,
            window_end=window_end,
            lease_days=DaysBetween(window_end, window_start),
            room_count=Coalesce(rooms, Value(0)),
            spaces=Case(
                When(unit__colocation=True, room_count__gt=0, then=F("room_count")),
                default=Value(1),
                output_field=IntegerField(),
            ),
            owed=Round(
                ExpressionWrapper(
                    (F("rent") + F("charges")) * F("lease_days") / Value(days_in_month),
                    output_field=MONEY,
                ),
                2,
                output_field=MONEY,
            ),
            paid=paid,
            called=Case(
                When(Exists(later_lease), then=ZERO),
                default=_sum_subquery(calls, "contract__unit", money.SIGNED),
                output_field=MONEY,
            ),
            differential=ExpressionWrapper(F("called") - F("owed"), output_field=MONEY),
            capacity_days=ExpressionWrapper(
                F("spaces") * F("lease_days"), output_field=IntegerField()
            ),
            vacant_days=Greatest(
                ExpressionWrapper(F("capacity_days") - occupied, output_field=IntegerField()),
                Value(0),
            ),
        )
        .order_by("unit__reference", "start_date", "pk")
    )


AMOUNTS = ("owed", "paid", "called", "differential")
DAYS = ("vacant_days", "capacity_days")


def owner_totals(leases: QuerySet[MainLease]) -> dict[str, Decimal | int]:
    """Totals of ``owner_leases`` (all its rows, not one page): one query."""
    sums = leases.aggregate(
        **{f"total_{key}": Coalesce(Sum(key), ZERO) for key in AMOUNTS},
        **{f"total_{key}": Coalesce(Sum(key), Value(0)) for key in DAYS},
    )
    totals = {key: sums[f"total_{key}"] for key in (*AMOUNTS, *DAYS)}
    totals["unpaid"] = totals["owed"] - totals["paid"]
    return totals


@dataclass
class LeaseMonth:
    month: datetime.date
    lease: MainLease | None  # None: the lease does not run that month

    @property
    def unpaid(self) -> Decimal:
        return self.lease.owed - self.lease.paid if self.lease else Decimal("0.00")


def lease_year(lease: MainLease, year: int) -> list[LeaseMonth]:
    """The twelve months of ``year`` for one lease (the figures of ``owner_leases``): one
    query per month, twelve in all."""
    months = [datetime.date(year, m, 1) for m in range(1, 13)]
    return [
        LeaseMonth(month=month, lease=owner_leases(month).filter(pk=lease.pk).first())
        for month in months
    ]


def lease_runs_in(lease: MainLease, month: datetime.date) -> bool:
    """Whether at least one day of ``month`` is within the lease."""
    month = month_start(month)
    return lease.start_date < next_month(month) and (
        lease.end_date is None or (lease.end_date > month and lease.end_date > lease.start_date)
    )


@transaction.atomic
def landlord_payment_record(
    *,
    lease: MainLease,
    period: datetime.date,
    paid_on: datetime.date,
    amount,
    method: str,
    by: User,
    reference: str = "",
) -> LandlordPayment:
    """Record rent the operator paid the landlord under ``lease`` for the month ``period``.
    Several payments of one month are allowed (an instalment, then the rest)."""
    amount = clean_amount(amount)
    period = month_start(period)
    if lease.management_mode not in PAID_MODES:
        raise ValidationError(
            "Ce logement est en mandat de gestion : le ménage paie directement le "
            "propriétaire, l’opérateur ne lui verse pas de loyer."
        )
    if not lease_runs_in(lease, period):
        end = f" au {lease.end_date:%d/%m/%Y}" if lease.end_date else ""
        raise ValidationError(
            {
                "period": f"Le bail ne court pas en {period:%m/%Y} (bail du "
                f"{lease.start_date:%d/%m/%Y}{end})."
            }
        )
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "La date de paiement ne peut pas être dans le futur."})
    if period > month_start(paid_on) + relativedelta(months=ADVANCE_MONTHS):
        raise ValidationError(
            {
                "period": f"Un paiement du {paid_on:%d/%m/%Y} ne couvre pas un mois aussi "
                f"lointain que {period:%m/%Y} : vérifiez le mois."
            }
        )
    if method not in PaymentMethod.values or method == PaymentMethod.CAF:
        raise ValidationError({"method": "Choisissez le mode de paiement au bailleur."})
    payment = LandlordPayment(
        organisation_id=lease.organisation_id,
        lease=lease,
        period=period,
        paid_on=paid_on,
        amount=amount,
        method=method,
        reference=reference.strip(),
        created_by=by,
    )
    payment.full_clean(validate_constraints=False)
    payment.save()
    return payment
