"""Import the interchange workbook (shared/docs/import-format.md) into an organisation:
everything in one transaction, or nothing and every error on stderr (exit status 1)."""

from __future__ import annotations

import time
from collections import Counter

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from iml.models import Organisation
from iml.rls import organisation_transaction
from workbook.importer import ImportErrors, import_workbook
from workbook.reader import RawWorkbook, read_path


def departement_of(book: RawWorkbook) -> str | None:
    """The most frequent département of the workbook's housing units (from postcodes)."""
    sheet = book.sheets.get("logements")
    if sheet is None or "postcode" not in sheet.headers:
        return None
    index = sheet.headers.index("postcode")
    found: Counter[str] = Counter()
    for _, cells in sheet.rows:
        code = str(cells[index] or "").strip()
        if code.isdigit() and len(code) == 4:
            code = "0" + code
        if len(code) != 5 or not code.isdigit():
            continue
        if code.startswith("97"):
            found[code[:3]] += 1
        elif code.startswith("20"):
            found["2A" if code < "20200" else "2B"] += 1
        else:
            found[code[:2]] += 1
    return found.most_common(1)[0][0] if found else None


class Command(BaseCommand):
    help = "Importe un classeur d’échange (.xlsx, dossier ou .zip de CSV) dans une organisation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="fichier .xlsx, dossier ou archive .zip de fichiers .csv")
        parser.add_argument("--organisation", required=True, help="identifiant court (slug)")
        parser.add_argument(
            "--create-organisation",
            metavar="NOM",
            help="crée d’abord l’organisation si aucune n’a cet identifiant (nom complet)",
        )
        parser.add_argument(
            "--departement",
            help="département de l’organisation créée (défaut : celui des logements)",
        )

    def handle(self, *args, path, organisation, create_organisation=None, departement=None,
               **options) -> None:  # fmt: skip
        started = time.monotonic()
        book = read_path(path)
        if book.errors and not book.sheets:
            # The file itself is refused (too large once decompressed, damaged, empty):
            # nothing to create an organisation for, nothing to validate.
            self._fail(book.errors)
        try:
            with transaction.atomic():
                target = Organisation.objects.filter(slug=organisation).first()
                if target is None:
                    if not create_organisation:
                        raise CommandError(
                            f"Organisation inconnue : {organisation} (ajoutez "
                            '--create-organisation "Nom complet" pour la créer)',
                            returncode=1,
                        )
                    target = self.create(organisation, create_organisation, departement, book)
                with organisation_transaction(target):
                    analysis = import_workbook(book, target)
        except ImportErrors as error:
            self._fail(error.errors)
        for sheet in analysis.preview():
            self.stdout.write(
                f"{sheet['sheet']} : {sheet['create']} créée(s), {sheet['update']} mise(s) à "
                f"jour, {sheet['unchanged']} inchangée(s)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Classeur importé dans « {target.name} » en {time.monotonic() - started:.1f} s."
            )
        )

    def _fail(self, errors) -> None:
        for message in errors:
            self.stderr.write(str(message))
        raise CommandError(f"{len(errors)} erreur(s) : rien n’a été importé.", returncode=1)

    def create(self, slug: str, name: str, departement, book: RawWorkbook) -> Organisation:
        departement = departement or departement_of(book)
        if not departement:
            raise CommandError(
                "Indiquez --departement : le classeur n’a pas de logement d’où le déduire.",
                returncode=1,
            )
        organisation = Organisation(slug=slug, name=name, departement=departement)
        try:
            organisation.full_clean()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages), returncode=1) from None
        organisation.save()
        self.stdout.write(f"Organisation « {name} » ({slug}) créée.")
        return organisation
