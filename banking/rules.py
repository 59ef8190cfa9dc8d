"""What every part of the bank shares: who may use it, how a bank line is told to be the
CAF's, and the handlers that claim a line before the matching guesses a household for it."""

from __future__ import annotations

import re
import unicodedata

from iml.permissions import MONEY_RECORDERS

# The régisseur and the head: bank statements, reconciliation, CAF detail, direct debits.
BANK_ROLES = MONEY_RECORDERS


def normalise(text: str) -> str:
    """Upper case without accents nor punctuation, single spaces: how labels are compared."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", plain).upper().split())


_CAF = re.compile(r"\b(CAF|CAISSE D ALLOCATIONS FAMILIALES|C A F)\b")


def is_caf_line(label: str, counterparty: str = "") -> bool:
    """The CAF's bulk payment of housing benefit: its name in the label or as the payer."""
    return bool(_CAF.search(normalise(f"{counterparty} {label}")))


# Handlers that may take a new line before the matching ranks households for it, in order:
# ``(line, by) -> bool`` (True: the line is theirs — the CAF's bulk payment waits for the CAF's
# detail, a direct-debit collection or rejection is the debit run's).
LINE_CLAIMS = ["banking.caf.claim_line", "banking.sepa.claim_line"]
