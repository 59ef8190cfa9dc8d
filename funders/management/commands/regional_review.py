"""The regional review of one year, for the data teams of the DREETS.

    python manage.py regional_review --region 32 --year 2025 --format json [--output PATH]

The région's and each département's values, computed from the reports submitted (the
current one of each dispositif), and per dispositif its submitted figures keyed by
organisation slug and dispositif code; the dispositifs without a current report. ``xlsx``:
the workbook of the regional review page (« < 5 » rule applied).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funders import review
from iml import territories


class Command(BaseCommand):
    help = "Revue régionale d’une année, construite à partir des rapports transmis."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="code INSEE de la région, ex. 32")
        parser.add_argument("--year", required=True, type=int, help="année de fin des périodes")
        parser.add_argument("--format", default="json", help="json ou xlsx")
        parser.add_argument("--output", help="fichier à écrire (sinon : la sortie standard)")

    def handle(self, *args, **options) -> None:
        region, year, fmt = options["region"], options["year"], options["format"]
        if region not in territories.REGIONS:
            raise CommandError(f"Région inconnue : « {region} » (code INSEE, ex. 32).")
        if fmt not in ("json", "xlsx"):
            raise CommandError(f"Format inconnu : « {fmt} » (json ou xlsx).", returncode=2)
        if fmt == "xlsx" and not options["output"]:
            raise CommandError("Le format « xlsx » demande --output FICHIER.", returncode=2)
        result = review.regional_review(region, year)
        if fmt == "xlsx":
            Path(options["output"]).write_bytes(review.as_xlsx(result))
            self.stderr.write(f"Revue écrite dans {options['output']}.")
            return
        text = json.dumps(review.as_json(result), ensure_ascii=False, indent=2)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Revue écrite dans {options['output']}.")
        else:
            self.stdout.write(text)
