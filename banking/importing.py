"""A bank statement imported into an account: its file read (``banking.parsers``), each line
stored once per account, the new lines claimed (CAF, direct debits: ``LINE_CLAIMS``) or
matched (``banking.matching``), the counts kept on the statement. One transaction: a bad file,
a foreign IBAN or any error writes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string

from banking import matching, rules
from banking.codes import ImportStatus, LineStatus
from banking.models import BankAccount, BankLine, BankStatement
from banking.parsers import ParsedLine, ParsedStatement, detect, parse
from banking.parsers.csv import check_mapping
from iml.models import User
from iml.scoping import get_current_organisation_id

logger = logging.getLogger(__name__)

# Lines handed to the matching at a time: the progress moves between batches.
MATCH_BATCH = 250
PROGRESS_TTL = 6 * 3600
UNEXPECTED = (
    "Erreur inattendue pendant l’import : rien n’a été importé. Déposez le relevé à nouveau, "
    "ou signalez-le à l’équipe de la plateforme."
)
TIMED_OUT = (
    "L’import ne s’est pas terminé en {minutes} minutes (le service d’import n’a pas répondu) : "
    "rien n’a été importé. Déposez le relevé à nouveau."
)


def _printable(text: str) -> str:
    """Without control characters (PostgreSQL refuses NUL in text)."""
    return "".join(char if char.isprintable() else " " for char in text).strip()


def fingerprint(iban: str, line: ParsedLine, rank: int) -> str:
    """What makes a line the same line in another file: the bank's id when it gives one,
    else its date, amount and label, and its rank among identical lines of its file (two
    identical transfers on the same day are two lines)."""
    if line.bank_id:
        key = f"id:{line.bank_id}"
        return key if len(key) <= 80 else "id:" + hashlib.sha256(line.bank_id.encode()).hexdigest()
    amount = line.amount.quantize(Decimal("0.01"))
    source = f"{iban}|{line.booked_on.isoformat()}|{amount}|{rules.normalise(line.label)}|{rank}"
    return "h:" + hashlib.sha256(source.encode()).hexdigest()


def fingerprints(iban: str, lines: Sequence[ParsedLine]) -> list[str]:
    seen: Counter[tuple] = Counter()
    result = []
    for line in lines:
        if line.bank_id:
            # A bank id repeated within one file (a reused NtryRef) keeps the lines apart.
            key = ("id", line.bank_id)
            rank = seen[key]
            seen[key] += 1
            found = fingerprint(iban, line, 0)
            result.append(found if rank == 0 else f"{found[:74]}#{rank}")
            continue
        key = ("h", line.booked_on, line.amount, rules.normalise(line.label))
        result.append(fingerprint(iban, line, seen[key]))
        seen[key] += 1
    return result


def csv_mapping_of(account: BankAccount, mapping: dict | None) -> dict:
    mapping = mapping or account.csv_mapping
    if not mapping:
        raise ValidationError(
            "Ce compte n’a pas encore de correspondance des colonnes CSV : indiquez quelle "
            "colonne contient la date, le libellé et le montant."
        )
    errors = check_mapping(mapping)
    if errors:
        raise ValidationError(errors)
    return mapping


def read_statement(*, account: BankAccount, data: bytes, fmt: str | None, mapping: dict | None):
    """The file read and checked against the account, or a ValidationError."""
    fmt = fmt or detect(data)
    if fmt == "csv":
        mapping = csv_mapping_of(account, mapping)
    parsed = parse(data, fmt, mapping)
    if parsed.iban and parsed.iban != account.iban:
        raise ValidationError(
            f"Ce relevé est celui du compte {parsed.iban}, pas de « {account.label} » "
            f"({account.iban}) : choisissez le bon compte."
        )
    return parsed, mapping


def statement_import(
    *,
    account: BankAccount,
    file_name: str,
    data: bytes,
    by: User | None,
    fmt: str | None = None,
    mapping: dict | None = None,
    progress: Callable[[int], None] | None = None,
    statement: BankStatement | None = None,
) -> BankStatement:
    """Import a statement file into ``account``; ``statement`` is the upload a worker runs
    (else a new one is created). Raises ValidationError (French, with line numbers) on a
    bad file: then nothing is written."""
    report = progress or (lambda percent: None)
    with transaction.atomic():
        parsed, mapping = read_statement(account=account, data=data, fmt=fmt, mapping=mapping)
        report(10)
        if parsed.format == "csv" and not account.csv_mapping:
            # The bank's columns, known from now on.
            account.csv_mapping = mapping
            account.save(update_fields=["csv_mapping"])
        if statement is None:
            statement = BankStatement(account=account, imported_by=by)
        statement.account = account
        statement.file_name = _printable(file_name)[:255] or "releve"
        statement.format = parsed.format
        statement.period_start, statement.period_end = parsed.period_start, parsed.period_end
        statement.save()
        new = _store(statement, parsed)
        report(30)
        counts = _claim_and_match(new, by=by, report=report)
        statement.lines_new = len(new)
        statement.lines_known = len(parsed.lines) - len(new)
        statement.lines_matched = counts[LineStatus.MATCHED]
        statement.lines_proposed = counts[LineStatus.PROPOSED]
        statement.lines_suspense = counts[LineStatus.SUSPENSE]
        statement.status, statement.progress, statement.errors = ImportStatus.DONE, 100, []
        statement.content = None
        statement.save()
        report(100)
    return statement


def _store(statement: BankStatement, parsed: ParsedStatement) -> list[BankLine]:
    """The lines this account did not have yet (one query to know, one to insert)."""
    account = statement.account
    keys = fingerprints(account.iban, parsed.lines)
    known = set(
        BankLine.objects.filter(account=account, fingerprint__in=keys).values_list(
            "fingerprint", flat=True
        )
    )
    new = [
        BankLine(
            organisation_id=statement.organisation_id,
            account=account,
            statement=statement,
            booked_on=line.booked_on,
            value_on=line.value_on,
            amount=line.amount,
            label=_printable(line.label)[:500],
            counterparty=_printable(line.counterparty)[:200],
            reference=_printable(line.reference)[:200],
            bank_id=_printable(line.bank_id)[:100],
            return_reason=line.return_reason[:4],
            fingerprint=key,
            note="Contre-passation d’une opération antérieure." if line.reversal else "",
        )
        for line, key in zip(parsed.lines, keys, strict=True)
        if key not in known
    ]
    return BankLine.objects.bulk_create(new)


def _claim_and_match(lines: list[BankLine], *, by, report) -> Counter:
    """The claims first (the CAF's bulk payment, a debit run's collection or rejection), the
    matching for the rest; the counts by the state each line ends in."""
    counts: Counter = Counter()
    if not lines:
        return counts
    handlers = [import_string(path) for path in rules.LINE_CLAIMS]
    claimed, rest = [], []
    for line in lines:
        (claimed if any(handler(line, by) for handler in handlers) else rest).append(line)
    if claimed:
        # The handlers set the state of what they took: read it back in one query.
        for row in (
            BankLine.objects.filter(pk__in=[line.pk for line in claimed])
            .values("status")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            counts[row["status"]] += row["n"]
    done = len(claimed)
    for start in range(0, len(rest), MATCH_BATCH):
        batch = rest[start : start + MATCH_BATCH]
        result = matching.match_lines(batch, by=by)
        counts[LineStatus.MATCHED] += result.matched
        counts[LineStatus.PROPOSED] += result.proposed
        counts[LineStatus.SUSPENSE] += result.suspense
        done += len(batch)
        report(30 + 70 * done // len(lines) - (1 if done == len(lines) else 0))
    return counts


# --- The browser's import, run by the worker -----------------------------------------------------


def import_timeout() -> datetime.timedelta:
    """How long an upload may wait for, and run in, a worker (BANKING_IMPORT_TIMEOUT_MINUTES)."""
    return datetime.timedelta(minutes=getattr(settings, "BANKING_IMPORT_TIMEOUT_MINUTES", 30))


def progress_key(statement: BankStatement) -> str:
    return f"banking:progress:{statement.public_id}"


def current_progress(statement: BankStatement) -> int:
    """A running import's progress goes through the cache: its transaction is invisible to the
    page until it commits."""
    if statement.status == ImportStatus.RUNNING:
        return int(cache.get(progress_key(statement), statement.progress))
    return statement.progress


def statement_enqueue(
    *,
    account: BankAccount,
    file_name: str,
    data: bytes,
    by: User | None,
    fmt: str | None = None,
    mapping: dict | None = None,
) -> BankStatement:
    """Keep the uploaded file on a running statement and have a worker import it (never the
    web request). The format is known now (a wrong one is refused before anything is kept)."""
    from banking.tasks import run_statement_import

    fmt = fmt or detect(data)
    statement = BankStatement.objects.create(
        account=account,
        file_name=_printable(file_name)[:255] or "releve",
        format=fmt,
        status=ImportStatus.RUNNING,
        content=data,
        imported_by=by,
    )
    run_statement_import.delay_on_commit(statement.pk, statement.organisation_id, fmt, mapping)
    return statement


def statement_run(statement_id: int, *, fmt: str | None, mapping: dict | None) -> BankStatement:
    """The worker's import of an upload, holding the statement's row lock: everything written,
    or nothing and the statement failed with its errors. The file is emptied either way (it
    holds personal data)."""
    statement = (
        BankStatement.objects.select_for_update().select_related("account").get(pk=statement_id)
    )
    if statement.status != ImportStatus.RUNNING or statement.content is None:
        return statement
    key = progress_key(statement)

    def progress(percent: int) -> None:
        cache.set(key, percent, PROGRESS_TTL)

    try:
        statement_import(
            account=statement.account,
            file_name=statement.file_name,
            data=bytes(statement.content),
            by=statement.imported_by,
            fmt=fmt,
            mapping=mapping,
            progress=progress,
            statement=statement,
        )
    except ValidationError as error:
        statement_fail(statement.pk, error.messages)
    except Exception:
        logger.exception("bank statement import %s failed", statement.public_id)
        statement_fail(statement.pk, [UNEXPECTED])
    cache.delete(key)
    return BankStatement.objects.get(pk=statement.pk)


def statement_fail(statement_id: int, errors: list[str]) -> bool:
    """A running statement failed: its errors kept, its file emptied."""
    return bool(
        BankStatement.objects.filter(pk=statement_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED,
            errors=[message.replace("\x00", "\ufffd") for message in errors],
            content=None,
            progress=0,
        )
    )


def fail_stale_statements(
    now: datetime.datetime | None = None, *, statement: BankStatement | None = None
) -> int:
    """Running uploads of the current organisation (or ``statement`` only) that no worker has
    answered for ``import_timeout()``: failed. A locked row is being imported: left alone
    (``skip_locked``, so that a page never waits for a running import)."""
    now = now or timezone.now()
    rows = (
        BankStatement.objects.all()
        if statement is None
        else BankStatement.objects.filter(pk=statement.pk)
    )
    stale = list(
        rows.filter(status=ImportStatus.RUNNING, created_at__lt=now - import_timeout())
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
        .order_by()
    )
    if not stale:
        return 0
    minutes = int(import_timeout().total_seconds() // 60)
    return BankStatement.objects.filter(pk__in=stale).update(
        status=ImportStatus.FAILED,
        errors=[TIMED_OUT.format(minutes=minutes)],
        content=None,
        progress=0,
    )


# --- Accounts -----------------------------------------------------------------------------------


def account_save(*, account: BankAccount, forget_csv_mapping: bool = False) -> BankAccount:
    """Create or update an account (IBAN and BIC already checked and compact: the form's);
    the IBAN is the organisation's once. A bank whose CSV changed has its mapping forgotten:
    the next CSV import asks for it again."""
    with transaction.atomic():
        if account.organisation_id is None:
            account.organisation_id = get_current_organisation_id()
        if forget_csv_mapping:
            account.csv_mapping = {}
        if account.pk is not None:
            # The lines' fingerprints hold the IBAN: an account with statements keeps it.
            before = BankAccount.objects.filter(pk=account.pk).values_list("iban", flat=True)
            if before.first() != account.iban and account.statements.exists():
                raise ValidationError(
                    {
                        "iban": "Des relevés de ce compte sont importés : son IBAN ne change "
                        "plus. Ajoutez plutôt un autre compte."
                    }
                )
        account.full_clean()
        account.save()
    return account
