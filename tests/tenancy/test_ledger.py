"""The rent ledger: rent calls and their proration, payments, reversals, balances at a date,
append-only storage, CAF batches, and the credit of unused days at exit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from freezegun import freeze_time

from iml.codes import LedgerKind, PaymentMethod
from iml.rls import organisation_transaction
from tenancy import ledger
from tenancy.calls import issue_calls_to_date, issue_rent_calls
from tenancy.models import LedgerEntry
from tenancy.money import contract_balance, household_balance, with_balances
from tenancy.services import exit_with_contracts
from tenancy.tasks import issue_monthly_rent_calls
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal


@pytest.fixture
def contract(org_a, dispositif_a):
    # 31 days in March: rent 400 + charges 50.
    return SubleaseContractFactory(
        organisation=org_a, unit__dispositif=dispositif_a, start_date=D(2025, 3, 10)
    )


def calls(contract):
    return {
        e.period: (e.rent_part, e.charges_part, e.debit)
        for e in LedgerEntry.objects.filter(contract=contract, kind=LedgerKind.APPEL)
    }


def test_proration_of_a_partial_first_month(contract):
    issued = issue_rent_calls(
        organisation_id=contract.organisation_id, months=[D(2025, 3, 1), D(2025, 4, 1)]
    )
    assert issued == 2
    # 22 days of 31 (10 → 31 March): 400 * 22 / 31 = 283.87; 50 * 22 / 31 = 35.48.
    assert calls(contract) == {
        D(2025, 3, 1): (E("283.87"), E("35.48"), E("319.35")),
        D(2025, 4, 1): (E("400.00"), E("50.00"), E("450.00")),
    }
    first = LedgerEntry.objects.get(contract=contract, period=D(2025, 3, 1))
    assert first.date == D(2025, 3, 10)  # due from the day of entry
    assert ledger.prorate(E("400"), 22, 31) == E("283.87")


def test_proration_of_a_partial_last_month(contract):
    LedgerEntry.all_organisations.filter(contract=contract)  # no entries yet
    type(contract).objects.filter(pk=contract.pk).update(actual_end_date=D(2025, 6, 16))
    issue_rent_calls(
        organisation_id=contract.organisation_id,
        months=[D(2025, 6, 1), D(2025, 7, 1)],
    )
    # 15 days of 30 (1 → 15 June; the end date is the first day out); nothing for July.
    assert calls(contract) == {D(2025, 6, 1): (E("200.00"), E("25.00"), E("225.00"))}


def test_rent_calls_are_issued_once_however_often_the_job_runs(contract, org_b):
    other = SubleaseContractFactory(organisation=org_b, start_date=D(2025, 1, 1))
    assert issue_monthly_rent_calls("2025-05-01") == 2
    assert issue_monthly_rent_calls("2025-05-01") == 0
    assert issue_monthly_rent_calls("2025-05-14") == 0  # any day of the month is that month
    assert LedgerEntry.objects.filter(contract=contract, kind=LedgerKind.APPEL).count() == 1
    with organisation_transaction(org_b):  # row-level security: B's rows are read as B
        assert LedgerEntry.all_organisations.filter(contract=other).count() == 1


def test_the_database_refuses_a_second_call_for_a_month(contract):
    issue_rent_calls(organisation_id=contract.organisation_id, months=[D(2025, 4, 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            contract=contract, date=D(2025, 4, 2), kind=LedgerKind.APPEL, debit=E("450"),
            rent_part=E("400"), charges_part=E("50"), period=D(2025, 4, 1),
        )  # fmt: skip


@freeze_time("2025-06-20")
def test_payment_gets_a_receipt_number_and_lowers_the_balance(contract, head_a):
    issue_calls_to_date(contract)  # March (prorated), April, May, June
    assert contract_balance(contract) == E("319.35") + 3 * E("450")
    first = ledger.payment_record(contract=contract, date=D(2025, 6, 20), amount="200,50",
                                  method=PaymentMethod.ESPECES, by=head_a.user)  # fmt: skip
    second = ledger.payment_record(contract=contract, date=D(2025, 6, 20), amount=E("100"),
                                   method=PaymentMethod.CHEQUE, reference="CHQ 1234",
                                   by=head_a.user)  # fmt: skip
    assert (first.number, second.number) == ("2025-00001", "2025-00002")
    assert first.credit == E("200.50") and first.created_by == head_a.user
    assert contract_balance(contract) == E("1669.35") - E("300.50")
    assert household_balance(contract.household) == E("1368.85")


@pytest.mark.parametrize(
    ("amount", "method", "day", "message"),
    [
        ("abc", PaymentMethod.ESPECES, D(2025, 6, 1), "Montant invalide"),
        ("-5", PaymentMethod.ESPECES, D(2025, 6, 1), "positif"),
        ("0", PaymentMethod.ESPECES, D(2025, 6, 1), "positif"),
        ("12.345", PaymentMethod.ESPECES, D(2025, 6, 1), "deux décimales"),
        ("1e9", PaymentMethod.ESPECES, D(2025, 6, 1), "trop élevé"),
        ("NaN", PaymentMethod.ESPECES, D(2025, 6, 1), "Montant invalide"),
        ("10", "bitcoin", D(2025, 6, 1), "mode de paiement"),
        ("10", PaymentMethod.CAF, D(2025, 6, 1), "mode de paiement"),
        ("10", PaymentMethod.ESPECES, D(2025, 6, 21), "futur"),
        ("10", PaymentMethod.ESPECES, D(2025, 3, 9), "précède le début"),
    ],
)
@freeze_time("2025-06-20")
def test_a_bad_payment_is_refused_in_french_and_writes_nothing(
    contract, head_a, amount, method, day, message
):
    with pytest.raises(ValidationError, match=message):
        ledger.payment_record(contract=contract, date=day, amount=amount, method=method,
                              by=head_a.user)  # fmt: skip
    assert not LedgerEntry.objects.exists()


@freeze_time("2025-06-20")
def test_reversal_cancels_an_entry_once_and_keeps_both(contract, head_a):
    payment = ledger.payment_record(contract=contract, date=D(2025, 6, 2), amount="450",
                                    method=PaymentMethod.VIREMENT, by=head_a.user,
                                    confirmed=True)  # fmt: skip
    assert contract_balance(contract) == E("-450")
    with pytest.raises(ValidationError, match="motif"):
        ledger.entry_reverse(entry=payment, date=D(2025, 6, 3), reason=" ", by=head_a.user)
    reversal = ledger.entry_reverse(entry=payment, date=D(2025, 6, 3),
                                    reason="Virement rejeté", by=head_a.user)  # fmt: skip
    assert (reversal.kind, reversal.debit, reversal.credit) == ("annulation", E("450"), 0)
    assert contract_balance(contract) == 0
    assert contract_balance(contract, at=D(2025, 6, 2)) == E("-450")  # balance at a date
    with pytest.raises(ValidationError, match="déjà annulée"):
        ledger.entry_reverse(entry=payment, date=D(2025, 6, 3), reason="x", by=head_a.user)
    with pytest.raises(ValidationError, match="ne s’annule pas"):
        ledger.entry_reverse(entry=reversal, date=D(2025, 6, 3), reason="x", by=head_a.user)
    assert LedgerEntry.objects.count() == 2


def test_the_ledger_is_append_only_in_the_database(contract):
    issue_rent_calls(organisation_id=contract.organisation_id, months=[D(2025, 4, 1)])
    entry = LedgerEntry.objects.get()
    for statement in (
        "UPDATE tenancy_ledgerentry SET debit = 1 WHERE id = %s",
        "DELETE FROM tenancy_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append_only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.debit == E("450.00")


def test_the_database_checks_the_sides_of_an_entry(contract):
    for fields in (
        {"kind": LedgerKind.PAIEMENT, "debit": E("10"), "method": "especes", "number": "X1"},
        {"kind": LedgerKind.PAIEMENT, "credit": E("10"), "method": "", "number": ""},
        {"kind": LedgerKind.ANNULATION, "credit": E("10")},
        {"kind": LedgerKind.APL, "credit": E("10"), "debit": E("10")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(contract=contract, date=D(2025, 4, 1), **fields)


@freeze_time("2025-06-20")
def test_exit_mid_month_calls_the_exit_month_again_for_the_days_lived(contract, head_a):
    issue_calls_to_date(contract)
    household = contract.household
    exit_with_contracts(household=household, exit_date=D(2025, 6, 11),
                        destination="logement_social", by=head_a.user)  # fmt: skip
    contract.refresh_from_db()
    assert contract.actual_end_date == D(2025, 6, 11)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.REGULARISATION).exists()
    june = LedgerEntry.objects.filter(contract=contract, period=D(2025, 6, 1)).order_by("pk")
    first, reversal, again = june
    # June called in full (450), reversed on the call's date, called again for 10 days of
    # 30: 400 * 10 / 30 = 133.33 and 50 * 10 / 30 = 16.67.
    assert (first.kind, first.debit) == ("appel", E("450.00"))
    assert (reversal.kind, reversal.reverses, reversal.credit, reversal.date) == (
        "annulation",
        first,
        E("450.00"),
        first.date,
    )
    assert (again.kind, again.replaces, again.rent_part, again.charges_part) == (
        "appel",
        first,
        E("133.33"),
        E("16.67"),
    )
    assert contract_balance(contract) == E("319.35") + 2 * E("450") + E("150.00")


def test_a_rent_call_is_not_reversed_by_hand(contract, head_a):
    issue_rent_calls(organisation_id=contract.organisation_id, months=[D(2025, 4, 1)])
    call = LedgerEntry.objects.get()
    assert not ledger.can_reverse(call)
    with pytest.raises(ValidationError, match="suit le contrat"):
        ledger.entry_reverse(entry=call, date=D(2025, 4, 2), reason="x", by=head_a.user)


@freeze_time("2025-06-20")
def test_caf_batch_writes_one_entry_each_and_refuses_a_second_batch(contract, org_a, head_a):
    other = SubleaseContractFactory(organisation=org_a, start_date=D(2025, 1, 1))
    entries = ledger.caf_confirm(month=D(2025, 6, 1), date=D(2025, 6, 5), by=head_a.user,
                                 received={contract: E("250"), other: "240,10"})  # fmt: skip
    assert sorted(e.credit for e in entries) == [E("240.10"), E("250.00")]
    assert all(e.method == "caf" and e.period == D(2025, 6, 1) for e in entries)
    with pytest.raises(ValidationError, match=other.reference):
        ledger.caf_confirm(month=D(2025, 6, 1), date=D(2025, 6, 6), by=head_a.user,
                           received={other: E("1")})  # fmt: skip
    assert LedgerEntry.objects.filter(kind=LedgerKind.APL).count() == 2


def test_balances_of_a_page_of_households_in_one_query(
    org_a, dispositif_a, django_assert_num_queries
):
    contracts = [
        SubleaseContractFactory(
            organisation=org_a, unit__dispositif=dispositif_a, start_date=D(2025, 1, 1)
        )
        for _ in range(3)
    ]
    issue_rent_calls(organisation_id=org_a.pk, months=[D(2025, 1, 1), D(2025, 2, 1)])
    from households.models import Household

    with django_assert_num_queries(1):
        balances = {h.pk: h.balance for h in with_balances(Household.objects.all())}
    assert balances == {c.household_id: E("900.00") for c in contracts}
