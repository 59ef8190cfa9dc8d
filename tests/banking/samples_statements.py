"""Organisation A's banking objects (statements) for the isolation sweep
(tests/test_isolation_sweep.py):
one per URL keyword argument this part introduces (public ids; the objects under ``_``)."""

from __future__ import annotations

from typing import Any

from tests.banking.factories import BankAccountFactory, BankStatementFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    account = BankAccountFactory(organisation=organisation, label="IML-ALPHA compte des loyers")
    statement = BankStatementFactory(
        organisation=organisation, account=account, file_name="IML-ALPHA-releve.xml"
    )
    return {
        "account": account.public_id,
        "statement": statement.public_id,
        "_account": account,
        "_statement": statement,
    }
