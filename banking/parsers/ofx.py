"""OFX 1.x (SGML) and 2.x (XML) statements, read with ofxtools: each ``STMTTRN`` of a bank
statement (``STMTRS``) is a line, its ``FITID`` the bank's id, ``NAME`` and ``MEMO`` the label.

ofxtools' parser reads the tag soup with regular expressions (no XML parser, so no entity is
ever expanded); the values are converted here, transaction by transaction, so that an error
names its line.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import xml.etree.ElementTree as ET
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from ofxtools.Parser import OFXTree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from banking.codes import StatementFormat
from banking.parsers import ParsedLine, ParsedStatement, refuse

# ofxtools tells at INFO level each file it parses: noise on the command's stderr.
logging.getLogger("ofxtools").setLevel(logging.WARNING)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# 20251105, 20251105120000, 20251105120000.000[+1:CET]
_DATE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})"  # date
    r"(?:(\d{2})(\d{2})(\d{2})?(?:\.\d+)?)?"  # time, with milliseconds
    r"(?:\[([+-]?\d+(?:\.\d+)?)(?::\w+)?\])?$"  # offset in hours, and the zone's name
)
_STMTTRN = re.compile(rb"<STMTTRN>", re.IGNORECASE)


def _date(text: str) -> datetime.date:
    """An OFX date, as a date in France (a time with its offset is moved to Paris first)."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, offset = match.groups()
    moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0),
                               int(minute or 0), int(second or 0))  # fmt: skip
    if offset is None or hour is None:
        return moment.date()  # a bare date is the bank's date
    zone = datetime.timezone(datetime.timedelta(hours=float(offset)))
    return moment.replace(tzinfo=zone).astimezone(PARIS).date()


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _iban(account: ET.Element | None) -> str:
    """The account's IBAN: the ACCTID itself, or, for a French bank, rebuilt from the RIB
    (bank, branch, account number and key)."""
    if account is None:
        return ""
    number = _text(account, "ACCTID").replace(" ", "").upper()
    try:
        return IBAN(number).compact
    except SchwiftyException:
        pass
    bank, branch = _text(account, "BANKID"), _text(account, "BRANCHID")
    key = _text(account, "ACCTKEY")
    if len(bank) == 5 and len(branch) == 5 and len(number) == 11:
        try:
            rebuilt = IBAN.generate("FR", bank_code=bank, branch_code=branch, account_code=number)
        except SchwiftyException:
            return ""
        # The RIB key, when given, must be the one the number implies.
        return rebuilt.compact if not key or rebuilt.compact.endswith(key) else ""
    return ""


def parse(data: bytes) -> ParsedStatement:
    tree = OFXTree()
    try:
        root = tree.parse(io.BytesIO(data))
    except Exception:
        raise refuse(
            [
                "ligne 1 : fichier OFX illisible (en-tête OFXHEADER ou balises mal formées) : "
                "exportez à nouveau le relevé depuis la banque."
            ]
        ) from None
    positions = [data.count(b"\n", 0, match.start()) + 1 for match in _STMTTRN.finditer(data)]
    statements = root.findall(".//STMTRS")
    if not statements:
        raise refuse(["ligne 1 : aucun relevé de compte bancaire (STMTRS) dans ce fichier OFX."])
    errors: list[str] = []
    lines: list[ParsedLine] = []
    ibans: set[str] = set()
    starts, ends = [], []
    index = 0
    for statement in statements:
        iban = _iban(statement.find("BANKACCTFROM"))
        if iban:
            ibans.add(iban)
        currency = _text(statement, "CURDEF") or "EUR"
        transactions = statement.find("BANKTRANLIST")
        try:
            if _text(transactions, "DTSTART"):
                starts.append(_date(_text(transactions, "DTSTART")))
            if _text(transactions, "DTEND"):
                ends.append(_date(_text(transactions, "DTEND")))
        except ValueError:
            errors.append("ligne 1 : période du relevé (DTSTART, DTEND) illisible.")
        for transaction in transactions.findall("STMTTRN") if transactions is not None else []:
            where = positions[index] if index < len(positions) else 0
            index += 1
            line = _line(transaction, where, currency, errors)
            if line is not None:
                lines.append(line)
    if len(ibans) > 1:
        errors.insert(0, "ligne 1 : le fichier contient les relevés de plusieurs comptes : "
                         "importez un fichier par compte.")  # fmt: skip
    if errors:
        raise ValidationError(errors)
    booked = [line.booked_on for line in lines]
    return ParsedStatement(
        format=StatementFormat.OFX,
        iban=next(iter(ibans), ""),
        period_start=min(starts) if starts else (min(booked) if booked else None),
        period_end=max(ends) if ends else (max(booked) if booked else None),
        lines=lines,
    )


def _line(transaction: ET.Element, where: int, currency: str, errors: list[str]):
    posted = _text(transaction, "DTPOSTED")
    try:
        booked_on = _date(posted)
    except ValueError:
        errors.append(f"ligne {where} : date d’opération (DTPOSTED) illisible « {posted} ».")
        return None
    available = _text(transaction, "DTAVAIL")
    try:
        value_on = _date(available) if available else None
    except ValueError:
        errors.append(f"ligne {where} : date de valeur (DTAVAIL) illisible « {available} ».")
        return None
    raw = _text(transaction, "TRNAMT")
    try:
        # Some French banks write a decimal comma.
        amount = Decimal(raw.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        errors.append(f"ligne {where} : montant (TRNAMT) illisible « {raw} ».")
        return None
    own_currency = _text(transaction, "CURRENCY/CURSYM") or currency
    if own_currency != "EUR":
        errors.append(
            f"ligne {where} : opération en {own_currency} : seuls les relevés en euros sont "
            "acceptés."
        )
        return None
    if amount == 0:
        return None
    name, memo = _text(transaction, "NAME"), _text(transaction, "MEMO")
    label = name if not memo or memo in name else (f"{name} {memo}".strip())
    payee = _text(transaction, "PAYEE/NAME")
    return ParsedLine(
        booked_on=booked_on,
        value_on=value_on,
        amount=amount.quantize(Decimal("0.01")),
        label=(label or payee or "Opération sans libellé")[:500],
        counterparty=payee[:200],
        reference=(_text(transaction, "REFNUM") or _text(transaction, "CHECKNUM"))[:200],
        bank_id=_text(transaction, "FITID")[:100],
        source_line=where,
    )
