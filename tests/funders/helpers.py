"""Funders, agents and ready report versions for the funder's side tests (no PDF is built:
a version is made ready with the example figures and a funder's block written here)."""

from __future__ import annotations

import copy
import datetime
from typing import Any

from funders import services
from funders.models import Submission
from iml.models import FunderAgent, Institution, InstitutionKind
from reporting.models import ReportStatus, ReportVersion
from tests.factories import UserFactory
from tests.reporting.example_figures import example_figures

D = datetime.date
PDF = b"%PDF-1.7\n% rapport de test\n%%EOF\n"
XLSX = b"PK\x03\x04 classeur de test"


def institution(kind: str, slug: str, *, departements=(), region: str = "") -> Institution:
    found = Institution.objects.filter(slug=slug).first()
    if found:
        return found
    made = Institution(
        kind=kind, slug=slug, name=f"{kind.upper()} {slug}",
        departements=list(departements), region=region,
    )  # fmt: skip
    made.full_clean()
    made.save()
    return made


def ddets(departement: str) -> Institution:
    return institution(InstitutionKind.DDETS, f"ddets-{departement}", departements=[departement])


def dreets(region: str) -> Institution:
    return institution(InstitutionKind.DREETS, f"dreets-{region}", region=region)


def national() -> Institution:
    return institution(InstitutionKind.NATIONAL, "dihal")


def agent(of: Institution, email: str | None = None) -> FunderAgent:
    user = UserFactory(email=email or f"agent@{of.slug}.example")
    return FunderAgent.objects.create(user=user, institution=of)


def funder_block(**changes: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "version": 1,
        "units_at_end_by_management": {"sous_location": 10, "bail_glissant": 2,
                                       "mandat_gestion": 3},
        "captured_by_management": {"sous_location": 2, "bail_glissant": 0, "mandat_gestion": 1},
        "entries_oriented_by_siao": 8,
        "present_past_18_months": 2,
        "exit_stay_days": 3000,
        "stock": {"unit_days": 5475, "available_place_days": 18250,
                  "occupied_place_days": 16425},
    }  # fmt: skip
    block.update(changes)
    return block


def figures_with(**households: int) -> dict[str, Any]:
    """The example figures with the households' counts given (present_at_end, entered,
    exited): the sums a funder reads first."""
    figures = copy.deepcopy(example_figures())
    figures["households"].update(households)
    return figures


YEAR_START, YEAR_END = D(2025, 1, 1), D(2025, 12, 31)


def ready_version(
    dispositif,
    by,
    *,
    start=YEAR_START,
    end=YEAR_END,
    figures=None,
    funder=None,
    **fields: Any,
) -> ReportVersion:
    values: dict[str, Any] = {
        "organisation_id": dispositif.organisation_id,
        "dispositif": dispositif,
        "start": start,
        "end": end,
        "status": ReportStatus.READY,
        "progress": 100,
        "figures": figures if figures is not None else example_figures(),
        "funder_figures": funder if funder is not None else funder_block(),
        "narrative": {"mission": "Loger et accompagner."},
        "pdf": PDF,
        "xlsx": XLSX,
        "created_by": by,
    }
    values.update(fields)
    return ReportVersion.all_organisations.create(**values)


def submitted(dispositif, by, **version_fields: Any) -> Submission:
    """A ready version of ``dispositif`` submitted to its DDETS (as its organisation)."""
    from iml.scoping import organisation_context

    with organisation_context(dispositif.organisation):
        return services.submit(version=ready_version(dispositif, by, **version_fields), by=by)
