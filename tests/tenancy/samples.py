"""Organisation A's tenancy objects for the isolation sweep (tests/test_isolation_sweep.py):
a contract with an amendment, rent calls, a payment and a repayment plan. The household's
reference carries the sweep's marker."""

import datetime
from typing import Any

from iml.codes import PaymentMethod
from iml.rls import organisation_transaction
from tenancy import ledger
from tenancy.calls import issue_calls_to_date
from tenancy.models import Amendment, LedgerEntry
from tenancy.plans import plan_create
from tests.factories import MembershipFactory
from tests.tenancy.factories import SubleaseContractFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    contract = SubleaseContractFactory(
        organisation=organisation,
        unit__dispositif=base["_dispositif"],
        household__reference="MENAGE-IML-ALPHA-2",
        reference="C-IML-ALPHA",
        start_date=datetime.date(2025, 1, 1),
        towards_sliding_lease=True,
    )
    user = MembershipFactory(organisation=organisation, role="regisseur").user
    with organisation_transaction(organisation):
        issue_calls_to_date(contract)
        payment = ledger.payment_record(contract=contract, date=datetime.date(2025, 2, 3),
                                        amount="100", method=PaymentMethod.ESPECES,
                                        by=user)  # fmt: skip
        amendment = Amendment.objects.create(
            contract=contract, number=1, signed_on=datetime.date(2025, 6, 1),
            new_end_date=datetime.date(2026, 1, 1),
        )  # fmt: skip
        plan = plan_create(contract=contract, signed_on=datetime.date(2025, 3, 1),
                           instalment="200", first_due_date=datetime.date(2025, 4, 10),
                           by=user)  # fmt: skip
        call = LedgerEntry.objects.filter(contract=contract, kind="appel").first()
    return {
        "_contract": contract,
        "contract": contract.public_id,
        "entry": payment.public_id,
        "call": call.public_id,
        "amendment": amendment.public_id,
        "plan": plan.public_id,
    }
