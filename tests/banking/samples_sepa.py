"""Organisation A's banking objects (sepa) for the isolation sweep
(tests/test_isolation_sweep.py):
one per URL keyword argument this part introduces: a mandate of the sweep's household, the
month's run of an account and one of its debits."""

from __future__ import annotations

import datetime
from typing import Any

from freezegun import freeze_time

from banking import sepa
from banking.mandates import MandateData, mandate_save
from iml.rls import organisation_transaction
from tests.banking.factories import BankAccountFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    contract = base["_contract"]
    account = BankAccountFactory(
        organisation=organisation, iban="FR7630004000031234567890143", bic="BNPAFRPP",
        creditor_id="FR72ZZZ123456", label="Compte IML-ALPHA prélèvements",
    )  # fmt: skip
    # Within the sample contract's first term (it starts on 1 January 2025).
    with organisation_transaction(organisation), freeze_time("2025-03-20 12:00"):
        mandate = mandate_save(
            household=contract.household,
            data=MandateData(
                reference="RUM-IML-ALPHA-1", debtor_name="Zoé Alpha",
                iban="FR1420041010050500013M02606", bic="", signed_on=datetime.date(2025, 3, 1),
                debit_day=10,
            ),
            by=None,
        )  # fmt: skip
        run = sepa.run_create(account=account, month=datetime.date(2025, 4, 1), by=None)
        debit = run.debits.get()
    return {"mandate": mandate.public_id, "run": run.public_id, "debit": debit.public_id}
