"""Time the import of a synthetic workbook (``workbook.bench``): a new organisation, with one
head (the support referent and interactions' staff), in a transaction rolled back at the end
unless ``--keep``."""

from __future__ import annotations

import shutil
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils.crypto import get_random_string

from iml.models import Membership, Organisation, Role, User
from iml.rls import organisation_transaction
from workbook.bench import STAFF_EMAIL, synthetic_workbook, to_xlsx
from workbook.importer import import_workbook
from workbook.reader import read_path


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Mesure la durée de l’import d’un classeur synthétique (--households N)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--households", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--keep", action="store_true", help="garder les données importées")
        parser.add_argument("--xlsx", action="store_true", help="importer un .xlsx (sinon CSV)")
        parser.add_argument(
            "--twice", action="store_true", help="mesurer aussi un second import (sans effet)"
        )

    def handle(
        self, *args, households, seed, years, keep, xlsx=False, twice=False, **options
    ) -> None:
        started = time.monotonic()
        folder = synthetic_workbook(households, seed, years=years)
        source = to_xlsx(folder) if xlsx else folder
        built = time.monotonic() - started
        self.stdout.write(f"Classeur synthétique ({folder}) construit en {built:.1f} s :")
        self.stdout.write((folder / "README.txt").read_text(encoding="utf-8").strip())
        timings = {}
        try:
            with transaction.atomic():
                suffix = get_random_string(8).lower()
                organisation = Organisation.objects.create(
                    name=f"Banc d’essai {suffix}", slug=f"bench-{suffix}", departement="71"
                )
                user, _ = User.objects.get_or_create(email=STAFF_EMAIL)
                with organisation_transaction(organisation):
                    Membership.objects.create(organisation=organisation, user=user, role=Role.HEAD)
                    started = time.monotonic()
                    book = read_path(source)
                    timings["lecture"] = time.monotonic() - started
                    analysis = import_workbook(book, organisation)
                    with connection.cursor() as cursor:
                        # What the commit would check (deferred foreign keys): counted.
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    timings["import"] = time.monotonic() - started
                    if twice:
                        started = time.monotonic()
                        again = import_workbook(read_path(source), organisation)
                        timings["again"] = time.monotonic() - started
                        changed = sum(s["create"] + s["update"] for s in again.preview())
                if not keep:
                    raise Rollback
        except Rollback:
            pass
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if xlsx:
                source.unlink(missing_ok=True)
        created = sum(sheet["create"] for sheet in analysis.preview())
        self.stdout.write(
            f"Lecture {timings['lecture']:.1f} s ; import complet (lecture, validation, "
            f"écriture) {timings['import']:.1f} s ; {created} lignes créées."
        )
        if twice:
            self.stdout.write(
                f"Second import du même classeur : {timings['again']:.1f} s, "
                f"{changed} ligne(s) créée(s) ou modifiée(s)."
            )
        self.stdout.write(f"{timings['import']:.1f}")
