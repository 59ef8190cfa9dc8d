"""Bank accounts, statements and lines for the banking tests."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import factory

from banking.models import BankAccount, BankLine, BankStatement
from tests.factories import OrganisationOwnedFactory


class BankAccountFactory(OrganisationOwnedFactory):
    class Meta:
        model = BankAccount

    label = "Compte courant"
    iban = factory.Sequence(
        lambda n: [
            "FR7630006000011234567890189",
            "FR1420041010050500013M02606",
            "FR7630001007941234567890185",
        ][n % 3]
    )
    bic = "AGRIFRPP"


class BankStatementFactory(OrganisationOwnedFactory):
    class Meta:
        model = BankStatement

    organisation = factory.SelfAttribute("account.organisation")
    account = factory.SubFactory(BankAccountFactory)
    file_name = "releve.xml"
    format = "camt053"
    status = "termine"
    progress = 100


class BankLineFactory(OrganisationOwnedFactory):
    class Meta:
        model = BankLine

    organisation = factory.SelfAttribute("statement.organisation")
    statement = factory.SubFactory(BankStatementFactory)
    account = factory.SelfAttribute("statement.account")
    booked_on = datetime.date(2025, 11, 5)
    amount = Decimal("120.00")
    label = "VIR SEPA DIALLO AMINATA LOYER NOVEMBRE"
    fingerprint = factory.LazyAttribute(
        lambda line: hashlib.sha256(
            f"{line.booked_on}{line.amount}{line.label}".encode()
        ).hexdigest()
    )
