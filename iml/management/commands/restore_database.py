"""Replace the database by a pg_dump archive. Destructive: without ``--wet-run`` it only checks
the archive and prints what it would do."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from iml import backup, dataversion


class Command(BaseCommand):
    help = (
        "Remplace la base par une archive de backup_database (pg_restore). Sans --wet-run, "
        "vérifie l’archive et affiche ce qui serait fait, sans rien modifier."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="archive écrite par backup_database")
        parser.add_argument(
            "--wet-run",
            action="store_true",
            help="restaurer vraiment (la base actuelle est remplacée)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="alias Django de la base")

    def handle(self, *args, **options) -> None:
        archive: Path = options["archive"]
        try:
            info = backup.inspect_archive(archive)
            server = backup.backup_server(options["database"])
            owner = backup.owner_role(options["database"])
            staging = backup.staging_name(server.dbname)
            self.stdout.write(
                f"Archive {archive} : base « {info.dbname} » sauvegardée le {info.created} "
                f"(pg_dump {info.dumped_by}, {info.entries} entrées).\n"
                f"Cible : {server.describe()}.\n"
                f"1. restaurer l’archive dans une base neuve « {staging} » "
                f"(propriétaire {owner}) ;\n"
                f"2. supprimer « {server.dbname} », en coupant les connexions ouvertes ;\n"
                f"3. renommer « {staging} » en « {server.dbname} »."
            )
            if not options["wet_run"]:
                self.stdout.write(
                    self.style.WARNING("Simulation : rien n’a été modifié. Ajoutez --wet-run.")
                )
                return
            # Our own connection to the database would be cut by the DROP … WITH (FORCE).
            connections.close_all()
            started = time.monotonic()
            backup.restore(server, archive, owner)
            # Cached aggregates describe the data replaced.
            dataversion.forget_all()
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Base « {server.dbname} » restaurée depuis {archive} "
                f"({time.monotonic() - started:.1f} s)."
            )
        )
