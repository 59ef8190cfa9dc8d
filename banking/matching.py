"""Ranked proposals for the credit lines of a statement (placeholder: the matching engine
replaces this module's body; its signature is the contract with the import)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from banking.models import BankLine
from iml.models import User


@dataclass(frozen=True)
class MatchCounts:
    matched: int  # written into ledgers: a reference left no doubt
    proposed: int  # ranked proposals awaiting the régisseur's confirmation
    suspense: int  # nothing to propose


def match_lines(lines: Sequence[BankLine], *, by: User | None) -> MatchCounts:
    """Propose (and, when certain, write) what each new line of a statement is."""
    return MatchCounts(0, 0, len(lines))
