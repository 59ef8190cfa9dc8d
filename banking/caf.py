"""The CAF's bulk payment, split per household from the CAF's detail (placeholder)."""

from __future__ import annotations

from banking.models import BankLine
from iml.models import User


def claim_line(line: BankLine, by: User | None) -> bool:
    """The CAF's bulk payment waits for the CAF's detail (``banking.rules.LINE_CLAIMS``)."""
    return False
