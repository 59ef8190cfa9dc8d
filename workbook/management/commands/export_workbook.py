"""Export an organisation's data as the interchange workbook: ``.xlsx``, or a folder of CSV
when PATH ends with ``/``. Run by the platform, it writes every column of the format, the
interactions' confidential notes included (the admin's browser download leaves them out)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from iml.models import Organisation
from iml.rls import organisation_transaction
from workbook.exporter import export_workbook


class Command(BaseCommand):
    help = (
        "Exporte le classeur d’échange d’une organisation (.xlsx, ou dossier de CSV si /) : "
        "toutes les feuilles et toutes les colonnes du format, y compris les notes "
        "confidentielles des interactions (colonne notes), que le téléchargement de "
        "l’administrateur·rice dans le navigateur ne contient pas. Conservez le fichier en lieu "
        "sûr."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="fichier .xlsx, ou dossier (terminé par /) de CSV")
        parser.add_argument("--organisation", required=True, help="identifiant court (slug)")

    def handle(self, *args, path, organisation, **options) -> None:
        target = Organisation.objects.filter(slug=organisation).first()
        if target is None:
            raise CommandError(f"Organisation inconnue : {organisation}", returncode=1)
        with organisation_transaction(target):
            written = export_workbook(target, path)
        self.stdout.write(self.style.SUCCESS(f"{len(written)} fichier(s) écrit(s) : {path}"))
