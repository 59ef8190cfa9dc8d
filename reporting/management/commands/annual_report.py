"""Compute the annual activity report of one dispositif over one period.

    python manage.py annual_report --organisation SLUG --dispositif CODE \
        --start 2023-11-01 --end 2024-10-31 --format json [--output PATH]

Runs as the organisation (``organisation_transaction``): its rows only, under row-level
security. JSON goes to the standard output, or to ``--output``.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from iml.models import Dispositif, Organisation
from iml.rls import organisation_transaction
from reporting import outputs
from reporting.compute import compute_report
from reporting.definitions import ReportScope
from reporting.rehousing_section import rehousing_figures

FORMATS = ("json", "xlsx", "pdf")


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (format attendu AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = "Calcule le rapport d’activité annuel d’un dispositif sur une période."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organisation", required=True, help="identifiant court (slug)")
        parser.add_argument("--dispositif", required=True, help="code du dispositif")
        parser.add_argument("--start", required=True, help="premier jour, AAAA-MM-JJ")
        parser.add_argument("--end", required=True, help="dernier jour, AAAA-MM-JJ")
        parser.add_argument("--format", default="json", help="json, xlsx ou pdf")
        parser.add_argument("--output", help="fichier à écrire (sinon : la sortie standard)")

    def handle(self, *args, **options) -> None:
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(f"Format inconnu : « {fmt} » (json, xlsx ou pdf).", returncode=2)
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("La fin de la période précède son début.", returncode=2)
        if fmt != "json" and not options["output"]:
            raise CommandError(f"Le format « {fmt} » demande --output FICHIER.", returncode=2)

        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"Organisation inconnue : « {options['organisation']} ».")
        with organisation_transaction(organisation):
            dispositif = Dispositif.objects.filter(code=options["dispositif"]).first()
            if dispositif is None:
                raise CommandError(
                    f"Dispositif inconnu dans {organisation.name} : « {options['dispositif']} »."
                )
            figures = compute_report(dispositif, start, end)
            # « Parcours de relogement »: a section of the PDF and the workbook, not a figure
            # of the JSON form.
            rehousing = (
                rehousing_figures(ReportScope(dispositif, start, end)) if fmt != "json" else None
            )

        if fmt != "json":
            Path(options["output"]).write_bytes(outputs.render(figures, fmt, rehousing=rehousing))
            self.stderr.write(f"Rapport écrit dans {options['output']}.")
            return
        text = json.dumps(figures, ensure_ascii=False, indent=2)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Rapport écrit dans {options['output']}.")
        else:
            self.stdout.write(text)
