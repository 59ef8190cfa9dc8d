"""The funder side's copy of the dispositifs that name a DDETS (``FundedDispositif``).

Kept in step by the core app's saves (signals connected in ``funders.apps``): the funder's
agents read this list, never the operators' tables (row-level security would show them
nothing, and that is the point). It holds who runs which dispositif and with how many places:
no personal data.
"""

from __future__ import annotations

from typing import Any

from funders.models import FundedDispositif
from iml.models import Dispositif, Institution, Organisation


def departement_of(dispositif: Dispositif, ddets: Institution) -> str:
    """Where the dispositif counts on the funder's side: the operator's département when the
    DDETS covers it, else the DDETS's first one."""
    own = dispositif.organisation.departement
    return own if own in ddets.departements else ddets.departements[0]


def sync(dispositif: Dispositif) -> FundedDispositif | None:
    """Bring the copy of ``dispositif`` in line with it; removed when it names no DDETS."""
    ddets = dispositif.ddets if dispositif.ddets_id is not None else None
    if ddets is None:
        FundedDispositif.objects.filter(dispositif_public_id=dispositif.public_id).delete()
        return None
    organisation = dispositif.organisation
    copy, _ = FundedDispositif.objects.update_or_create(
        dispositif_public_id=dispositif.public_id,
        defaults={
            "organisation": organisation,
            "organisation_slug": organisation.slug,
            "organisation_name": organisation.name,
            "code": dispositif.code,
            "name": dispositif.name,
            "category": dispositif.category,
            "zone": dispositif.zone,
            "places": dispositif.places,
            "report_start_month": dispositif.report_start_month,
            "is_active": dispositif.is_active,
            "institution": ddets,
            "departement": departement_of(dispositif, ddets),
            "region": ddets.region,
        },
    )
    return copy


def dispositif_saved(sender: Any, instance: Dispositif, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        sync(instance)


def organisation_saved(
    sender: Any, instance: Organisation, raw: bool = False, created: bool = False, **kwargs: Any
) -> None:
    """An operator renamed: its name on the funder's side follows (its reports keep the name
    they were submitted under)."""
    if not raw and not created:
        FundedDispositif.objects.filter(organisation=instance).update(
            organisation_slug=instance.slug, organisation_name=instance.name
        )
