"""ISO 20022 cash management: CAMT.053 (statement, ``BkToCstmrStmt/Stmt``), camt.054
(debit/credit notification, ``BkToCstmrDbtCdtNtfctn/Ntfctn``) and camt.052 (intraday report,
``BkToCstmrAcctRpt/Rpt``), any version (.001.02 to .001.08): the entries (``Ntry``) have the
same structure in all of them, and the namespace is ignored.

Read with defusedxml: a file that declares a DTD or entities (external entities, the
« billion laughs » expansion) is refused before anything is expanded or fetched.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.core.exceptions import ValidationError

from banking.codes import StatementFormat
from banking.parsers import ParsedLine, ParsedStatement, refuse

# The ISO containers of entries: statement, notification, intraday report.
CONTAINERS = {
    "BkToCstmrStmt": "Stmt",
    "BkToCstmrDbtCdtNtfctn": "Ntfctn",
    "BkToCstmrAcctRpt": "Rpt",
}
# Entries that are not booked yet are not on the account.
UNBOOKED = {"PDNG", "INFO", "FUTR"}
NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF", "NONE"}
XML_REFUSED = (
    "ligne {line} : le fichier XML déclare une DTD ou des entités ; il est refusé par sécurité "
    "(les relevés bancaires n’en contiennent jamais)."
)


class _LineBuilder(ET.TreeBuilder):
    """Keeps the line where each element starts (the C elements take no attribute)."""

    def __init__(self) -> None:
        super().__init__()
        self.expat = None
        self.lines: dict[ET.Element, int] = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[element] = self.expat.CurrentLineNumber if self.expat else 0
        return element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root: ET.Element) -> None:
    for element in root.iter():
        element.tag = _local(element.tag)


def read_xml(data: bytes) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The safe parse: no DTD, no entity, no external reference."""
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)  # fmt: skip
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        raise refuse([XML_REFUSED.format(line=parser.parser.CurrentLineNumber)]) from None
    except ET.ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else 1
        raise refuse(
            [f"ligne {line} : XML mal formé (fichier abîmé, ou qui n’est pas un relevé)."]
        ) from None
    _strip_namespaces(root)
    return root, builder.lines


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _date(element: ET.Element | None) -> datetime.date | None:
    """``Dt`` (a date) or ``DtTm`` (a date and time, whose date is the bank's)."""
    if element is None:
        return None
    value = _text(element, "Dt") or _text(element, "DtTm")
    if not value:
        return None
    return datetime.date.fromisoformat(value[:10])


def _amount(element: ET.Element | None) -> tuple[Decimal, str] | None:
    if element is None or not (element.text or "").strip():
        return None
    return Decimal(element.text.strip()), element.get("Ccy", "EUR")


class _Reader:
    def __init__(self, lines: dict[ET.Element, int]) -> None:
        self.source = lines
        self.errors: list[str] = []
        self.lines: list[ParsedLine] = []

    def line_of(self, element: ET.Element) -> int:
        return self.source.get(element, 0)

    def entry(self, entry: ET.Element) -> None:
        where = self.line_of(entry)
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status.upper() in UNBOOKED:
            return
        try:
            booked_on = _date(entry.find("BookgDt")) or _date(entry.find("ValDt"))
            value_on = _date(entry.find("ValDt"))
        except ValueError:
            self.errors.append(f"ligne {where} : date illisible dans l’opération.")
            return
        if booked_on is None:
            self.errors.append(
                f"ligne {where} : opération sans date de comptabilisation (BookgDt)."
            )
            return
        try:
            amount = _amount(entry.find("Amt"))
        except InvalidOperation:
            amount = None
        if amount is None:
            self.errors.append(f"ligne {where} : montant (Amt) absent ou illisible.")
            return
        value, currency = amount
        if currency != "EUR":
            self.errors.append(
                f"ligne {where} : opération en {currency} : seuls les relevés en euros sont "
                "acceptés."
            )
            return
        sign = self.sign(entry, where)
        if sign is None:
            return
        reversal = _text(entry, "RvslInd").lower() in {"true", "1"}
        entry_id = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
        entry_label = " ".join(
            (node.text or "").strip() for node in entry.findall("AddtlNtryInf") if node.text
        )
        details = [tx for block in entry.findall("NtryDtls") for tx in block.findall("TxDtls")]
        amounts = [self.tx_amount(tx) for tx in details]
        if len(details) > 1 and all(a is not None for a in amounts):
            # A batch whose transactions carry their amounts: one line each.
            for index, (tx, tx_amount) in enumerate(zip(details, amounts, strict=True), start=1):
                tx_sign = self.sign(tx, self.line_of(tx), default=sign)
                if tx_sign is None:
                    return
                tx_id = _text(tx, "Refs/AcctSvcrRef") or (f"{entry_id}/{index}" if entry_id else "")
                self.add(tx, booked_on, value_on, tx_sign * tx_amount, entry_label, tx_id, reversal)
            return
        self.add(
            details[0] if details else None,
            booked_on,
            value_on,
            sign * value,
            entry_label,
            entry_id,
            reversal,
            where=where,
        )

    def sign(self, element: ET.Element, where: int, default: int | None = None) -> int | None:
        indicator = _text(element, "CdtDbtInd").upper()
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        if not indicator and default is not None:
            return default
        self.errors.append(
            f"ligne {where} : sens de l’opération (CdtDbtInd) absent ou inconnu « {indicator} » "
            "(CRDT ou DBIT attendu)."
        )
        return None

    def tx_amount(self, tx: ET.Element) -> Decimal | None:
        """A transaction's own amount: ``Amt`` (version 08) or ``AmtDtls/TxAmt/Amt``."""
        node = tx.find("Amt")
        if node is None:
            node = tx.find("AmtDtls/TxAmt/Amt")
        try:
            found = _amount(node)
        except InvalidOperation:
            return None
        return abs(found[0]) if found else None

    def add(self, tx, booked_on, value_on, amount, entry_label, bank_id, reversal, where=0):
        if amount == 0:
            return  # an information entry: nothing moved
        where = where or (self.line_of(tx) if tx is not None else 0)
        unstructured = " ".join(
            (node.text or "").strip() for node in tx.findall("RmtInf/Ustrd") if node.text
        ) if tx is not None else ""  # fmt: skip
        extra = _text(tx, "AddtlTxInf")
        parts = [part for part in (entry_label, unstructured, extra) if part]
        label = ""
        for part in parts:
            if part not in label:
                label = f"{label} {part}".strip()
        # The other party: who paid us (a credit), whom we paid (a debit).
        side = ("Dbtr", "UltmtDbtr", "Cdtr") if amount > 0 else ("Cdtr", "UltmtCdtr", "Dbtr")
        counterparty = ""
        for role in side:
            counterparty = _text(tx, f"RltdPties/{role}/Nm") or _text(
                tx, f"RltdPties/{role}/Pty/Nm"
            )
            if counterparty:
                break
        end_to_end = _text(tx, "Refs/EndToEndId")
        if end_to_end.upper() in NOT_PROVIDED:
            end_to_end = ""
        reference = end_to_end or _text(tx, "RmtInf/Strd/CdtrRefInf/Ref")
        reason = _text(tx, "RtrInf/Rsn/Cd").upper()[:4]
        self.lines.append(
            ParsedLine(
                booked_on=booked_on,
                value_on=value_on,
                amount=amount,
                label=(label or counterparty or "Opération sans libellé")[:500],
                counterparty=counterparty[:200],
                reference=reference[:200],
                bank_id=bank_id[:100],
                return_reason=reason,
                reversal=reversal,
                source_line=where,
            )
        )


def parse(data: bytes) -> ParsedStatement:
    root, lines = read_xml(data)
    if _local(root.tag) != "Document":
        raise refuse(["ligne 1 : l’élément racine n’est pas « Document » (ISO 20022)."])
    reports: list[ET.Element] = []
    for container, child in CONTAINERS.items():
        for block in root.findall(container):
            reports += block.findall(child)
    if not reports:
        raise refuse(
            [
                "ligne 1 : ni relevé (BkToCstmrStmt) ni avis d’opérations (BkToCstmrDbtCdtNtfctn) "
                "dans ce fichier ISO 20022."
            ]
        )
    reader = _Reader(lines)
    ibans = set()
    starts, ends = [], []
    for report in reports:
        iban = _text(report, "Acct/Id/IBAN").replace(" ", "").upper()
        if iban:
            ibans.add(iban)
        try:
            start = _text(report, "FrToDt/FrDtTm") or _text(report, "FrToDt/FrDt")
            end = _text(report, "FrToDt/ToDtTm") or _text(report, "FrToDt/ToDt")
            if start:
                starts.append(datetime.date.fromisoformat(start[:10]))
            if end:
                ends.append(datetime.date.fromisoformat(end[:10]))
        except ValueError:
            reader.errors.append(f"ligne {reader.line_of(report)} : période (FrToDt) illisible.")
        for entry in report.findall("Ntry"):
            reader.entry(entry)
    if len(ibans) > 1:
        reader.errors.insert(
            0,
            "ligne 1 : le fichier contient les opérations de plusieurs comptes ("
            + ", ".join(sorted(ibans))
            + ") : importez un fichier par compte.",
        )
    if reader.errors:
        raise ValidationError(reader.errors)
    booked = [line.booked_on for line in reader.lines]
    return ParsedStatement(
        format=StatementFormat.CAMT053,
        iban=next(iter(ibans), ""),
        period_start=min(starts) if starts else (min(booked) if booked else None),
        period_end=max(ends) if ends else (max(booked) if booked else None),
        lines=reader.lines,
    )
