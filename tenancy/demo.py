"""Demo ledger: the rent calls of every contract up to this month (for the days lived
only), the CAF's monthly benefit, the households' payments of what was called (mostly on
time, a few partial), two households in debt with a repayment plan (one instalment honoured
then one missed, and a new plan), an FSL aid, a household that left with a debt, and the
operator's payments to its landlords. Dates are relative to today: the demo tells the same
story any day (``tests/iml/test_seed_demo.py`` runs it on a dozen dates).

Idempotent: once the organisation has payments, it adds nothing but brings a ledger written by
an earlier version to one live call per month (``tenancy.calls.ledger_repair``). History is
written with bulk inserts (append-only, as the services would), receipt numbers in date order.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from households.stays import RENEWAL, STAY_LIMIT, current_end
from housing.models import MainLease
from iml.codes import LedgerKind, ManagementMode, PaymentMethod
from tenancy.amounts import days_covered, month_start, months_between, next_month, prorate
from tenancy.calls import issue_rent_calls, ledger_repair
from tenancy.models import Amendment, LandlordPayment, LedgerEntry, ReceiptCounter, SubleaseContract
from tenancy.plans import plan_create
from tenancy.services import contract_renew

METHODS = [PaymentMethod.VIREMENT] * 9 + [PaymentMethod.ESPECES] * 5
METHODS += [PaymentMethod.PRELEVEMENT] * 4 + [PaymentMethod.CHEQUE] * 2


def seed(*, organisation, demo, dispositif, users) -> None:
    if LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists():
        for contract in SubleaseContract.objects.order_by("pk"):
            ledger_repair(contract=contract)
        return
    today = timezone.localdate()
    rng = random.Random(f"{demo.slug}-ledger")
    regisseur = users["regisseur"]
    contracts = {c.pk: c for c in SubleaseContract.objects.select_related("household")}
    if not contracts:
        return
    first = min(c.start_date for c in contracts.values())
    # The month may have turned since the contracts were created.
    issue_rent_calls(organisation_id=organisation.pk, months=months_between(first, today))

    _renewals(contracts.values(), today, regisseur)
    running = sorted(
        (c for c in contracts.values() if c.actual_end_date is None), key=lambda c: c.reference
    )
    left = sorted(
        (c for c in contracts.values() if c.actual_end_date is not None),
        key=lambda c: c.reference,
    )
    this_month = month_start(today)
    # Debtor A stopped paying seven to four months ago and signed a plan three months ago
    # (first instalment honoured; last month, neither the rent nor the second instalment, so
    # that the missed instalment is still missed whatever the day); debtor B stopped three
    # months ago and signs a plan this month. Dates are relative to today.
    debtor_a, debtor_b = running[1], running[4]
    unpaid = {
        debtor_a.pk: {this_month - relativedelta(months=n) for n in (1, 4, 5, 6, 7)},
        debtor_b.pk: {this_month - relativedelta(months=n) for n in range(0, 3)},
    }
    if left:
        # One household left owing its last two months (sinistralité).
        last = left[0]
        last_month = month_start(last.actual_end_date - datetime.timedelta(days=1))
        unpaid[last.pk] = {last_month, last_month - relativedelta(months=1)}

    entries = []
    calls = LedgerEntry.objects.live_calls().order_by("period", "contract_id")
    for call in calls:
        contract = contracts[call.contract_id]
        month_days = (next_month(call.period) - call.period).days
        days = days_covered(contract, call.period)
        benefit = prorate(contract.expected_housing_benefit, days, month_days)
        caf_day = max(call.period + datetime.timedelta(days=4), call.date)
        if benefit > 0 and caf_day <= today:
            entries.append(
                LedgerEntry(
                    organisation=organisation,
                    contract=contract,
                    date=caf_day,
                    kind=LedgerKind.APL,
                    credit=benefit,
                    method=PaymentMethod.CAF,
                    period=call.period,
                    note=f"Aide au logement de {call.period:%m/%Y}",
                    created_by=regisseur,
                )
            )
        residual = call.debit - benefit
        if residual <= 0 or call.period in unpaid.get(contract.pk, ()):
            continue
        pay_day = max(call.period + datetime.timedelta(days=rng.randint(2, 14)), call.date)
        partial = rng.random() < 0.08  # drawn for every call: the sequence stays the same
        if pay_day > today:
            continue
        if partial and contract.pk not in unpaid:
            residual = (residual / 2).quantize(Decimal("0.01"))
        if contract.pk == debtor_a.pk and call.period == this_month - relativedelta(months=2):
            # Under the plan: the residual rent and the first instalment, before the 10th;
            # the month after, the rent only: the second instalment is missed.
            residual += Decimal("60.00")
            pay_day = call.period + datetime.timedelta(days=4)
        entries.append(
            LedgerEntry(
                organisation=organisation,
                contract=contract,
                date=pay_day,
                kind=LedgerKind.PAIEMENT,
                credit=residual,
                method=rng.choice(METHODS),
                created_by=regisseur,
            )
        )
    # FSL aid towards debtor A's arrears.
    aid_day = this_month - relativedelta(months=3) + datetime.timedelta(days=9)  # before the plan
    entries.append(
        LedgerEntry(
            organisation=organisation,
            contract=debtor_a,
            date=aid_day,
            kind=LedgerKind.AIDE,
            credit=Decimal("300.00"),
            method=PaymentMethod.VIREMENT,
            note="FSL maintien — aide aux impayés",
            created_by=regisseur,
        )
    )
    entries.sort(key=lambda e: (e.date, e.contract_id))
    numbers: dict[int, int] = defaultdict(int)
    for entry in entries:
        if entry.kind == LedgerKind.PAIEMENT:
            numbers[entry.date.year] += 1
            entry.number = f"{entry.date.year}-{numbers[entry.date.year]:05d}"
    LedgerEntry.objects.bulk_create(entries)
    for year, last in numbers.items():
        ReceiptCounter.objects.update_or_create(
            organisation=organisation, year=year, defaults={"last": last}
        )

    plan_create(
        contract=debtor_a,
        signed_on=this_month - relativedelta(months=3) + datetime.timedelta(days=14),
        # Small enough for instalments still to come, whatever the day of the month.
        instalment=Decimal("60.00"),
        first_due_date=this_month - relativedelta(months=2) + datetime.timedelta(days=9),
        by=regisseur,
        note="Plan signé avec le ménage et la travailleuse sociale après trois mois d’impayés.",
    )
    plan_create(
        contract=debtor_b,
        signed_on=today,
        instalment=Decimal("120.00"),
        first_due_date=next_month(today) + datetime.timedelta(days=9),
        by=regisseur,
    )
    _landlord_payments(organisation, today, regisseur)


JUSTIFICATION = (
    "Relogement en cours : proposition d’un bailleur social attendue, le ménage est à jour de "
    "ses démarches."
)


def _renewals(contracts, today: datetime.date, by) -> None:
    """Contracts renewed by six-month amendments, signed a fortnight before each term ends,
    for as long as the household stayed; beyond 18 months, with the written justification.
    Running contracts go through the service; ended ones are history, written as an import
    would (the service refuses to renew an ended contract)."""
    for contract in sorted(contracts, key=lambda c: c.start_date):
        stay_end = contract.actual_end_date or today
        limit = (contract.household.entry_date or contract.start_date) + STAY_LIMIT
        end, number = current_end(contract), contract.amendments.count()
        while end < stay_end:
            new_end = end + relativedelta(months=RENEWAL)
            signed_on = max(end - datetime.timedelta(days=15), contract.start_date)
            justification = JUSTIFICATION if new_end > limit else ""
            if contract.actual_end_date is None:
                contract_renew(contract=contract, signed_on=signed_on, by=by,
                               justification=justification)  # fmt: skip
            else:
                number += 1
                Amendment.objects.create(
                    contract=contract, number=number, signed_on=signed_on, new_end_date=new_end,
                    beyond_limit=new_end > limit, justification=justification, created_by=by,
                )  # fmt: skip
            end = new_end


def _landlord_payments(organisation, today: datetime.date, by) -> None:
    """The operator pays each sublease landlord on the 5th, every month of the lease."""
    payments = []
    for lease in MainLease.objects.filter(management_mode=ManagementMode.SOUS_LOCATION):
        end = min(lease.end_date or today, today)
        for month in months_between(lease.start_date, end):
            paid_on = month + datetime.timedelta(days=4)
            if paid_on > today or (lease.end_date and month >= lease.end_date):
                continue
            owed = lease.rent + lease.charges
            days = (min(lease.end_date or next_month(month), next_month(month))
                    - max(lease.start_date, month)).days  # fmt: skip
            amount = prorate(owed, days, (next_month(month) - month).days)
            if amount > 0:
                payments.append(
                    LandlordPayment(
                        organisation=organisation,
                        lease=lease,
                        period=month,
                        paid_on=max(paid_on, lease.start_date),
                        amount=amount,
                        reference=f"VIR {month:%Y%m}",
                        created_by=by,
                    )
                )
    LandlordPayment.objects.bulk_create(payments)
