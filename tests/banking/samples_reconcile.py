"""Organisation A's banking objects (reconcile) for the isolation sweep
(tests/test_isolation_sweep.py):
one per URL keyword argument this part introduces."""

from __future__ import annotations

from typing import Any

from banking.models import BankAccount
from tests.banking.factories import BankAccountFactory, BankLineFactory, BankStatementFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    # An account another part made for A, else one of its own (an IBAN is unique per
    # organisation, and the factory's cycle of three would repeat).
    account = BankAccount.all_organisations.filter(organisation=organisation).first()
    if account is None:
        account = BankAccountFactory(organisation=organisation,
                                     iban="FR7610107001011234567890129")  # fmt: skip
    statement = BankStatementFactory(organisation=organisation, account=account,
                                     file_name="releve-rapprochement-alpha.xml")  # fmt: skip
    line = BankLineFactory(statement=statement, label="VIR SEPA MENAGE-IML-ALPHA LOYER",
                           status="proposee")  # fmt: skip
    return {"line": line.public_id}
