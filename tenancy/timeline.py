"""The tenancy app's items of a household's timeline (``households.timeline``)."""

from __future__ import annotations

from django.urls import reverse

from households.models import Household
from households.timeline import TimelineItem, TimelineKind
from iml.codes import LedgerKind
from tenancy.models import Amendment, LedgerEntry, SubleaseContract


def contract_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """Sublease contracts, their ends and amendments."""
    items: list[TimelineItem] = []
    for contract in SubleaseContract.objects.filter(household=household).select_related(
        "unit", "room"
    ):
        space = contract.unit.reference + (f" — {contract.room.label}" if contract.room else "")
        items.append(
            TimelineItem(
                date=contract.start_date,
                kind=TimelineKind.CONTRACT,
                title=f"Contrat de sous-location {contract.reference}",
                detail=space,
                url=contract.get_absolute_url(),
            )
        )
        if contract.actual_end_date:
            items.append(
                TimelineItem(
                    date=contract.actual_end_date,
                    kind=TimelineKind.CONTRACT,
                    title=f"Fin du contrat {contract.reference}",
                    url=contract.get_absolute_url(),
                )
            )
    for amendment in Amendment.objects.filter(contract__household=household).select_related(
        "contract"
    ):
        items.append(
            TimelineItem(
                date=amendment.signed_on,
                kind=TimelineKind.CONTRACT,
                title=f"Avenant {amendment.number} au contrat {amendment.contract.reference}",
                detail=f"jusqu’au {amendment.new_end_date:%d/%m/%Y}"
                + (" — au-delà de 18 mois" if amendment.beyond_limit else ""),
                url=amendment.contract.get_absolute_url(),
            )
        )
    return items


def payment_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """Payments, housing benefit and aid received."""
    items: list[TimelineItem] = []
    credits = LedgerEntry.objects.filter(
        contract__household=household,
        kind__in=[LedgerKind.PAIEMENT, LedgerKind.APL, LedgerKind.AIDE],
    )
    for entry in credits:
        items.append(
            TimelineItem(
                date=entry.date,
                kind=TimelineKind.PAYMENT,
                title=str(entry.get_kind_display()).capitalize(),
                amount=entry.credit,
                url=reverse("tenancy:household_account", args=[household.public_id]),
            )
        )
    return items
