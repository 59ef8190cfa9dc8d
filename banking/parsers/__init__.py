"""Bank statement files read into one shape: ``ParsedStatement`` and its ``ParsedLine``s.

Three families: ISO 20022 (CAMT.053 statements, camt.054 notifications, ``camt``), OFX 1.x
and 2.x (``ofx``), and CSV with a column mapping saved per account (``csv``). A parser either
reads the whole file or raises ``django.core.exceptions.ValidationError`` with every problem
it found, each in French and with its line number: a bad file is never half-read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from banking.codes import StatementFormat

# Larger files are not bank statements (a month of a busy account is a few hundred kB).
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class ParsedLine:
    booked_on: datetime.date
    amount: Decimal  # signed: positive for a credit of the account, negative for a debit
    label: str
    value_on: datetime.date | None = None
    counterparty: str = ""
    # The end-to-end id, else the creditor's structured reference.
    reference: str = ""
    # The bank's own id of the transaction (AcctSvcrRef, FITID, NtryRef), when it gives one.
    bank_id: str = ""
    # A returned direct debit's ISO reason code (AM04…).
    return_reason: str = ""
    # The entry cancels an earlier one (camt RvslInd): the sign still says where money went.
    reversal: bool = False
    # Where the line is in the file, for the messages.
    source_line: int = 0


@dataclass
class ParsedStatement:
    format: str  # a ``StatementFormat`` value
    iban: str = ""  # compact, when the file names the account
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    lines: list[ParsedLine] = field(default_factory=list)


def refuse(errors: list[str]) -> ValidationError:
    return ValidationError(list(errors))


def detect(data: bytes) -> str:
    """The format of a file from its first bytes: XML of ISO 20022, OFX, else CSV."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    upper = head.upper()
    if b"OFXHEADER" in upper or b"<OFX>" in upper or b"<OFX " in upper:
        return StatementFormat.OFX
    if head.startswith(b"<"):
        if b"BkToCstmr" in data[:8192] or b"camt.05" in data[:8192]:
            return StatementFormat.CAMT053
        raise refuse(
            [
                "ligne 1 : fichier XML non reconnu : ni relevé CAMT.053 / camt.054 "
                "(ISO 20022), ni OFX."
            ]
        )
    return StatementFormat.CSV


def parse(data: bytes, fmt: str | None = None, mapping: dict | None = None) -> ParsedStatement:
    """Read a statement file of format ``fmt`` (detected when not given)."""
    from banking.parsers import camt, csv, ofx

    if not data or not data.strip():
        raise refuse(["ligne 1 : le fichier est vide."])
    if len(data) > MAX_FILE_BYTES:
        raise refuse(
            [f"ligne 1 : fichier trop volumineux ({MAX_FILE_BYTES // (1024 * 1024)} Mo au plus)."]
        )
    fmt = fmt or detect(data)
    if fmt == StatementFormat.CAMT053:
        return camt.parse(data)
    if fmt == StatementFormat.OFX:
        return ofx.parse(data)
    if fmt == StatementFormat.CSV:
        if not mapping:
            raise refuse(["Indiquez la correspondance des colonnes de ce fichier CSV."])
        return csv.parse(data, mapping)
    raise refuse([f"Format de relevé inconnu : {fmt}."])
