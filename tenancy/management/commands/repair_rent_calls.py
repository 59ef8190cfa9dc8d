"""Bring existing ledgers to one live rent call per contract and month, equal to the days the
contract covered (see docs/ledger.md). Append-only: reversals and new calls, never an edit.
Nothing is written without --wet-run (the changes are computed, then rolled back)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from iml.models import Organisation
from iml.rls import organisation_transaction
from tenancy.calls import ledger_repair
from tenancy.models import SubleaseContract


class _DryRun(Exception):
    """Rolls back an organisation's transaction once its changes are counted."""


class Command(BaseCommand):
    help = (
        "Recalcule les appels de loyer enregistrés avant qu’ils suivent leur contrat : "
        "annulation des appels au-delà de la sortie et nouvel appel au prorata."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organisation", help="identifiant court (toutes par défaut)")
        parser.add_argument(
            "--wet-run", action="store_true", help="écrire pour de bon (sinon : compter)"
        )

    def handle(self, *args, organisation=None, wet_run=False, **options) -> None:
        organisations = Organisation.objects.order_by("pk")
        if organisation:
            organisations = organisations.filter(slug=organisation)
            if not organisations.exists():
                raise CommandError(f"Organisation inconnue : {organisation}")
        for target in organisations:
            reversed_, issued, contracts = repair_organisation(target, wet_run=wet_run)
            verb = "corrigé(s)" if wet_run else "à corriger (ajoutez --wet-run)"
            self.stdout.write(
                f"{target.slug} : {contracts} contrat(s) {verb} — "
                f"{reversed_} écriture(s) annulée(s), {issued} appel(s) émis à nouveau"
            )


def repair_organisation(organisation: Organisation, *, wet_run: bool) -> tuple[int, int, int]:
    """(entries reversed, calls issued, contracts changed) of one organisation, in one
    transaction, rolled back without ``wet_run``."""
    totals = [0, 0, 0]
    try:
        with organisation_transaction(organisation):
            for contract in SubleaseContract.objects.order_by("pk"):
                changes = ledger_repair(contract=contract)
                totals[0] += changes.reversed
                totals[1] += changes.issued
                totals[2] += bool(changes)
            if not wet_run:
                raise _DryRun
    except _DryRun:
        pass
    return totals[0], totals[1], totals[2]
