"""Time the import of a synthetic workbook (``workbook.bench.measure_import``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from workbook.bench import measure_import


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
        timing = measure_import(
            households, seed, years=years, keep=keep, xlsx=xlsx, twice=twice, log=self.stdout.write
        )
        self.stdout.write(
            f"Lecture {timing.reading:.1f} s ; import complet (lecture, validation, "
            f"écriture) {timing.seconds:.1f} s ; {timing.created} lignes créées."
        )
        if twice:
            self.stdout.write(
                f"Second import du même classeur : {timing.again:.1f} s, "
                f"{timing.changed} ligne(s) créée(s) ou modifiée(s)."
            )
        self.stdout.write(f"{timing.seconds:.1f}")
