"""SEPA direct debit: mandates, the monthly pain.008, collections and rejections
(placeholder)."""

from __future__ import annotations

from banking.models import BankLine
from iml.models import User


def claim_line(line: BankLine, by: User | None) -> bool:
    """A debit run's collection or a rejection (``banking.rules.LINE_CLAIMS``)."""
    return False
