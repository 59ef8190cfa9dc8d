"""Freeze the annual report of a dispositif and submit it to its DDETS, as the head does in
the browser (``/transmission/``).

    python manage.py submit_report --organisation SLUG --dispositif CODE \
        --start 2025-01-01 --end 2025-12-31 [--by chef@example.org]

A version is built at once (figures, funder's block, narrative, PDF, XLSX), frozen, then
copied to the funder's side. ``--by``: the head of service who submits (by default the
organisation's first active head). Exit 1 with the reason in French when anything refuses.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from funders import services
from iml.models import Dispositif, Membership, Organisation, Role, normalize_email
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from reporting.management.commands.annual_report import _date
from reporting.models import ReportStatus, ReportVersion
from reporting.services import validate_period, version_build


class Command(BaseCommand):
    help = "Fige le rapport annuel d’un dispositif et le transmet à sa DDETS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organisation", required=True, help="identifiant court (slug)")
        parser.add_argument("--dispositif", required=True, help="code du dispositif")
        parser.add_argument("--start", required=True, help="premier jour, AAAA-MM-JJ")
        parser.add_argument("--end", required=True, help="dernier jour, AAAA-MM-JJ")
        parser.add_argument("--by", default="", help="e-mail du ou de la chef·fe de service")

    def handle(self, *args, **options) -> None:
        start, end = _date(options["start"]), _date(options["end"])
        try:
            validate_period(start, end)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        organisation = Organisation.objects.filter(
            slug=options["organisation"], is_active=True
        ).first()
        if organisation is None:
            raise CommandError(f"Organisation inconnue : « {options['organisation']} ».")
        with organisation_transaction(organisation):
            dispositif = Dispositif.objects.filter(code=options["dispositif"]).first()
            if dispositif is None:
                raise CommandError(
                    f"Dispositif inconnu dans {organisation.name} : « {options['dispositif']} »."
                )
            # Refused before a version is built (figures, PDF, XLSX) for nothing.
            try:
                services.check_can_submit(dispositif, start, end)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            heads = Membership.objects.active().filter(role=Role.HEAD).select_related("user")
            if options["by"]:
                heads = heads.filter(user__email=normalize_email(options["by"]))
            head = heads.order_by("pk").first()
            if head is None:
                raise CommandError(
                    "Aucun·e chef·fe de service actif·ve "
                    + (f"« {options['by']} » " if options["by"] else "")
                    + f"dans {organisation.name} : seul·e un·e chef·fe transmet le rapport."
                )
            version = ReportVersion.objects.create(
                dispositif=dispositif, start=start, end=end, created_by=head.user
            )
        with organisation_context(organisation):
            status = version_build(version.pk)
        if status != ReportStatus.READY:
            raise CommandError("La génération du rapport a échoué : rien n’a été transmis.")
        with organisation_transaction(organisation):
            version.refresh_from_db()
            try:
                submission = services.submit(version=version, by=head.user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Rapport {dispositif.code} {start:%d/%m/%Y}–{end:%d/%m/%Y} transmis à "
            f"{submission.institution.name} (version {submission.number})."
        )
