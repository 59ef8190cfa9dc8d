"""``make bench``: generate a national-scale data set, measure the pages under load, the
annual report, the jobs, the import and the cost isolation, and write docs/benchmarks.md."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from benchmarks import bank_matching, dataset, funder_review, load, measures, results
from iml.models import Organisation
from workbook.bench import measure_import

STEPS = ("pages", "report", "jobs", "import", "banque", "financeurs", "isolation")
VAR = Path(settings.BASE_DIR) / ".var" / "bench"


class Command(BaseCommand):
    help = (
        "Banc d’essai à l’échelle nationale (--scale 0.01 pour un essai rapide) ; écrit "
        "docs/benchmarks.md. Efface la base de données du banc d’essai."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--duration", type=float, default=15.0, help="secondes par page")
        parser.add_argument(
            "--think",
            type=float,
            default=1.0,
            help="pause moyenne entre deux pages d’un client, pour la seconde mesure (0 : "
            "sans seconde mesure)",
        )
        parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
        parser.add_argument("--steps", default=",".join(STEPS), help=f"parmi {', '.join(STEPS)}")
        parser.add_argument("--pages", default="", help="seulement ces pages (clés)")
        parser.add_argument("--reuse", action="store_true", help="garder les données déjà générées")
        parser.add_argument("--isolation-scale", type=float, default=0.05)
        parser.add_argument("--import-households", type=int, default=None)
        parser.add_argument("--output", default="docs/benchmarks.md")
        parser.add_argument(
            "--render",
            default="",
            help="réécrire seulement le Markdown depuis ce JSON de résultats",
        )

    def handle(self, *args, **options) -> None:
        self.options = options
        if options["render"]:
            self.write_markdown(json.loads(Path(options["render"]).read_text(encoding="utf-8")))
            return
        name = connection.settings_dict["NAME"]
        if "bench" not in name:
            raise CommandError(
                f"La base « {name} » n’est pas une base de banc d’essai (son nom doit contenir "
                "« bench ») : le banc d’essai l’effacerait. Lancez « make bench »."
            )
        steps = {step.strip() for step in options["steps"].split(",") if step.strip()}
        if unknown := steps - set(STEPS):
            raise CommandError(f"Étapes inconnues : {', '.join(sorted(unknown))}.")
        today = timezone.localdate()
        scale, seed = options["scale"], options["seed"]
        VAR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0)
        out = {
            "date": today.isoformat(),
            "scale": scale,
            "seed": seed,
            "machine": results.machine(),
        }
        generation = self.generation(scale, seed, today)
        out["generation"] = {
            "seconds": generation.seconds,
            "reused": generation.seconds == 0,
            "counts": generation.counts,
            "largest": {
                "slug": generation.largest.slug,
                "households": generation.largest.households,
            },
        }
        json_path = VAR / f"results-{today.isoformat()}.json"
        largest = Organisation.objects.get(slug=generation.largest.slug)
        if "jobs" in steps:
            self.say("Tâches planifiées…")
            out["jobs"] = jobs = [
                measures.as_dict(measures.time_alert_job(today)),
                measures.as_dict(measures.time_rent_call_job(today)),
            ]
            results.write_json(out, json_path)  # a later failure keeps what is measured
            for job in jobs:
                self.say(
                    f"  {job['label']} : {job['first']:.1f} s ({job['first_changes']} "
                    f"changements), puis {job['second']:.1f} s ({job['second_changes']})"
                )
        if "pages" in steps:
            out["load"] = {key: options[key] for key in ("workers", "clients", "duration", "think")}
            out["load"]["query_samples"] = measures.QUERY_SAMPLES
            out["pages"] = [measures.as_dict(page) for page in self.pages(largest)]
            results.write_json(out, json_path)
        if "report" in steps:
            self.say("Rapport annuel…")
            out["report"] = measures.as_dict(measures.time_report(largest, today))
            report = out["report"]
            self.say(
                f"  chiffres {report['compute'] * 1000:.0f} ms, plancher SQL "
                f"{report['floor'] * 1000:.0f} ms (rapport {report['ratio']:.2f}), JSON "
                f"{report['json'] * 1000:.0f} ms, PDF {report['pdf']:.1f} s"
            )
            results.write_json(out, json_path)
        if "import" in steps:
            households = options["import_households"] or max(200, round(10_000 * min(scale, 1)))
            self.say(f"Import d’un classeur de {households} ménages…")
            timing = measure_import(households, seed, log=lambda line: None)
            out["import"] = {
                "households": households,
                "seconds": timing.seconds,
                "created": timing.created,
            }
            self.say(f"  {timing.seconds:.1f} s, {timing.created} lignes")
            results.write_json(out, json_path)
        if "banque" in steps:
            self.say("Rapprochement d’un relevé de 2 000 lignes…")
            timing = bank_matching.measure_matching(seed=seed, today=today)
            out["bank_matching"] = bank_matching.as_json(timing)
            results.write_json(out, json_path)
        if "financeurs" in steps:
            self.say("Revue régionale et chiffres clés à l’échelle nationale…")
            review_timing = funder_review.measure_review(seed=seed, year=today.year - 1)
            out["funder_review"] = funder_review.as_json(review_timing)
            results.write_json(out, json_path)
        if "isolation" in steps:
            out["isolation"] = self.isolation(options["isolation_scale"], seed, today)
            results.write_json(out, json_path)
        self.write_markdown(out)

    def write_markdown(self, out: dict) -> None:
        markdown_path = Path(settings.BASE_DIR) / self.options["output"]
        markdown_path.write_text(results.markdown(out), encoding="utf-8")
        self.stdout.write(results.markdown(out))
        self.say(f"Résultats écrits dans {markdown_path}.")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def generation(self, scale: float, seed: int, today: datetime.date) -> dataset.Generation:
        if self.options["reuse"] and (found := dataset.existing()) is not None:
            self.say(f"Données réutilisées : {found.counts}")
            return found
        operators, households = dataset.scaled(scale)
        self.say(f"Génération : {operators} opérateurs, {households} ménages…")
        dataset.reset_database()
        generated = dataset.generate(scale, seed, today, self.say)
        self.say(f"Généré en {generated.seconds:.0f} s : {generated.counts}")
        return generated

    def pages(
        self, organisation: Organisation, think: float | None = None, clients: int | None = None
    ) -> list[measures.PageFigure]:
        options = self.options
        clients = clients or options["clients"]
        only = {key.strip() for key in options["pages"].split(",") if key.strip()} or None
        self.say(
            f"Pages de {organisation.slug} : {clients} client(s), "
            f"{options['duration']:.0f} s par page…"
        )
        with load.gunicorn(options["workers"], VAR / "gunicorn.log") as port:
            figures = measures.measure_pages(
                organisation,
                port=port,
                clients=clients,
                duration=options["duration"],
                think=options["think"] if think is None else think,
                only=only,
            )
        for page in figures:
            for mode, figure in (("sans pause", page.saturated), ("avec pause", page.paced)):
                if figure is not None:
                    self.say(
                        f"  {page.label:<28} {mode}  p50 {figure.p50:6.0f} ms  p95 "
                        f"{figure.p95:6.0f} ms  max {figure.maximum:6.0f} ms  "
                        f"{page.queries_max:3d} requêtes  {figure.throughput:5.0f} req/s  "
                        f"{figure.errors} erreurs"
                    )
        return figures

    def isolation(self, scale: float, seed: int, today: datetime.date) -> dict:
        """At ``scale``: the largest operator's pages, then the same after the others grew
        tenfold. Replaces the data set (run last)."""
        self.say(f"Isolation des coûts, à l’échelle {scale}…")
        dataset.reset_database()
        generated = dataset.generate(scale, seed, today, self.say)
        largest = Organisation.objects.get(slug=generated.largest.slug)
        before_households = generated.counts["ménages"]
        measures.time_alert_job(today)
        # One client: the cost of each request, without the queueing of a saturated server.
        before = self.pages(largest, think=0, clients=1)
        growth = dataset.grow_others(largest.slug, 10, seed, today, self.say)
        self.say(f"Croissance en {growth:.0f} s")
        measures.time_alert_job(today)
        after = self.pages(largest, think=0, clients=1)
        after_households = dataset.table_counts()["ménages"]
        return {
            "scale": scale,
            "largest_households": generated.largest.households,
            "before_households": before_households,
            "after_households": after_households,
            "growth_seconds": growth,
            "pages": [
                {
                    "key": b.key,
                    "label": b.label,
                    "before": asdict(b.saturated),
                    "after": asdict(a.saturated),
                }
                for b, a in zip(before, after, strict=True)
            ],
        }
