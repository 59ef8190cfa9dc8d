"""Money written at the same instant by two users (two real connections, two threads):
nothing is lost, nothing is doubled."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from iml.codes import LedgerKind, PaymentMethod
from iml.rls import organisation_transaction
from tenancy import ledger
from tenancy.models import LedgerEntry
from tenancy.tasks import issue_monthly_rent_calls
from tests.factories import MembershipFactory, OrganisationFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date


def run_together(*targets):
    """Run each target in its own thread (hence its own database connection)."""
    errors = []

    def wrap(target):
        try:
            target()
        except Exception as error:  # surfaced in the test's assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_payments_recorded_at_the_same_time_are_both_kept():
    org = OrganisationFactory(slug="concurrent-pay")
    contract = SubleaseContractFactory(organisation=org, start_date=D(2025, 1, 1))
    user = MembershipFactory(organisation=org).user
    first_written = threading.Event()

    def first():
        with organisation_transaction(org):
            ledger.payment_record(contract=contract, date=D(2025, 6, 2), amount="100",
                                  method=PaymentMethod.ESPECES, by=user,
                                  confirmed=True)  # fmt: skip
            first_written.set()
            threading.Event().wait(0.5)  # still uncommitted while the second one writes

    def second():
        first_written.wait(10)
        with organisation_transaction(org):
            ledger.payment_record(contract=contract, date=D(2025, 6, 2), amount="50",
                                  method=PaymentMethod.CHEQUE, by=user,
                                  confirmed=True)  # fmt: skip

    assert run_together(first, second) == []
    with organisation_transaction(org):
        payments = LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).order_by("number")
        assert [(p.number, p.credit) for p in payments] == [
            ("2025-00001", Decimal("100.00")),
            ("2025-00002", Decimal("50.00")),
        ]


@pytest.mark.django_db(transaction=True)
def test_two_rent_call_jobs_at_the_same_time_issue_each_call_once():
    org = OrganisationFactory(slug="concurrent-calls")
    for _ in range(20):
        SubleaseContractFactory(organisation=org, start_date=D(2025, 1, 1))
    issued = []
    start = threading.Barrier(2)

    def job():
        start.wait(10)
        issued.append(issue_monthly_rent_calls("2025-03-01"))

    assert run_together(job, job) == []
    assert sum(issued) == 20
    with organisation_transaction(org):
        assert LedgerEntry.objects.filter(kind=LedgerKind.APPEL).count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_payment_form_posted_twice_at_the_same_instant_records_once():
    """A double click: two requests with the same form key, on two connections. The second
    waits for the first to commit, then leads to its receipt."""
    import uuid

    from iml.submissions import run_once

    org = OrganisationFactory(slug="concurrent-once")
    contract = SubleaseContractFactory(organisation=org, start_date=D(2025, 1, 1))
    user = MembershipFactory(organisation=org).user
    key, start, outcomes = uuid.uuid4(), threading.Barrier(2), []

    def post():
        start.wait(10)
        with organisation_transaction(org):
            outcome = run_once(
                key=key,
                action=lambda: ledger.payment_record(
                    contract=contract,
                    date=D(2025, 6, 2),
                    amount="100",
                    method=PaymentMethod.ESPECES,
                    by=user,
                    confirmed=True,
                ),
                url_of=lambda entry: f"/recu/{entry.public_id}",
            )
            threading.Event().wait(0.3)  # still uncommitted while the other one posts
        outcomes.append(outcome)

    assert run_together(post, post) == []
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert outcomes[0].url == outcomes[1].url
    with organisation_transaction(org):
        assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 1
