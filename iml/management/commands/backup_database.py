"""Back the database up with pg_dump (custom format), as a role that bypasses row-level
security (``DATABASE_BACKUP_URL``; in development, the embedded server's superuser)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from iml import backup


class Command(BaseCommand):
    help = (
        "Sauvegarde la base avec pg_dump (format personnalisé), par défaut dans "
        "backups/<base>-AAAAMMJJ-HHMMSS.dump."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, help="fichier à écrire (ne doit pas exister)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="alias Django de la base")

    def handle(self, *args, **options) -> None:
        try:
            server = backup.backup_server(options["database"])
            output = options["output"] or backup.default_output(server.dbname)
            started = time.monotonic()
            size = backup.dump(server, output)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Sauvegarde de {server.describe()} écrite dans {output} "
                f"({size / 1024:.0f} Kio, {time.monotonic() - started:.1f} s)."
            )
        )
