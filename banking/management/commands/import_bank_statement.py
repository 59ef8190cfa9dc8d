"""Import a bank statement file (CAMT.053 / camt.054, OFX, CSV) into an organisation's
account, as the browser's import does: everything in one transaction, or nothing and every
error in French on stderr (exit status 1). Ends with one line of counts on stdout."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from banking.codes import StatementFormat
from banking.importing import statement_import
from banking.models import BankAccount
from banking.parsers import detect, parse
from iml.models import Organisation
from iml.rls import organisation_transaction


def find_account(*, wanted: str | None, data: bytes, fmt: str | None) -> BankAccount:
    """The account named (IBAN or public id), the organisation's only one, or the one whose
    IBAN the file gives."""
    accounts = BankAccount.objects.all()
    if wanted:
        compact = wanted.replace(" ", "").upper()
        try:
            found = accounts.filter(public_id=uuid.UUID(wanted)).first()
        except ValueError:
            found = accounts.filter(iban=compact).first()
        if found is None:
            raise ValidationError(f"Aucun compte bancaire « {wanted} » dans cette organisation.")
        return found
    every = list(accounts[:2])
    if not every:
        raise ValidationError("Cette organisation n’a aucun compte bancaire : créez-le d’abord.")
    if len(every) == 1:
        return every[0]
    fmt = fmt or detect(data)
    iban = parse(data, fmt).iban if fmt != StatementFormat.CSV else ""
    if not iban:
        raise ValidationError(
            "L’organisation a plusieurs comptes et le fichier ne dit pas lequel : précisez "
            "--account (IBAN ou identifiant)."
        )
    found = accounts.filter(iban=iban).first()
    if found is None:
        raise ValidationError(f"Aucun compte de l’organisation n’a l’IBAN du relevé ({iban}).")
    return found


class Command(BaseCommand):
    help = "Importe un relevé bancaire (CAMT.053, camt.054, OFX ou CSV) dans un compte."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="le fichier du relevé")
        parser.add_argument("--organisation", required=True, help="identifiant court (slug)")
        parser.add_argument("--account", help="IBAN ou identifiant du compte")
        parser.add_argument(
            "--format",
            choices=[choice.value for choice in StatementFormat],
            help="format du fichier (reconnu tout seul par défaut)",
        )
        parser.add_argument(
            "--mapping",
            help="correspondance des colonnes CSV en JSON (par défaut : celle du compte)",
        )

    def handle(self, *args, path, organisation, account=None, format=None, mapping=None,
               **options) -> None:  # fmt: skip
        target = Organisation.objects.filter(slug=organisation).first()
        if target is None:
            raise CommandError(f"Organisation inconnue : {organisation}", returncode=1)
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(
                f"Fichier illisible : {path} ({error.strerror})", returncode=1
            ) from None
        try:
            columns = json.loads(mapping) if mapping else None
        except json.JSONDecodeError:
            raise CommandError("--mapping : JSON illisible.", returncode=1) from None
        if columns is not None and not isinstance(columns, dict):
            raise CommandError("--mapping : un objet JSON est attendu.", returncode=1)
        try:
            with organisation_transaction(target):
                chosen = find_account(wanted=account, data=data, fmt=format)
                statement = statement_import(
                    account=chosen,
                    file_name=Path(path).name,
                    data=data,
                    by=None,
                    fmt=format,
                    mapping=columns,
                )
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(
                f"{len(error.messages)} erreur(s) : rien n’a été importé.", returncode=1
            ) from None
        self.stdout.write(
            f"lignes : {statement.lines_new} nouvelles, {statement.lines_matched} rapprochées, "
            f"{statement.lines_proposed} proposées, {statement.lines_suspense} en attente"
        )
