"""A document the software produced (a sublease contract, an amendment, a receipt, an
inventory) filed among the household's papers in one click: the same PDF as its download."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from iml.codes import LedgerKind, PaperKind
from iml.models import User
from papers.files import Prepared, pdf_prepared
from papers.models import Paper
from papers.services import Owner, PaperData, paper_add_prepared
from tenancy import documents
from tenancy.inventories import inventory_for_page, inventory_pdf
from tenancy.models import Amendment, LedgerEntry, SubleaseContract


@dataclass(frozen=True)
class Generated:
    """What is filed: the contract it belongs to, the kind, its date, its PDF, its name."""

    contract: SubleaseContract
    kind: str
    issued_on: datetime.date
    pdf: Callable[[], bytes]
    name: str


def contract(public_id: Any) -> Generated:
    obj = get_object_or_404(
        SubleaseContract.objects.select_related(*documents.CONTRACT_RELATED), public_id=public_id
    )
    return Generated(obj, PaperKind.SOUS_LOCATION, obj.start_date,
                     lambda: documents.contract_pdf(obj), f"Contrat {obj.reference}")  # fmt: skip


def amendment(public_id: Any) -> Generated:
    obj = get_object_or_404(
        Amendment.objects.select_related(*(f"contract__{n}" for n in documents.CONTRACT_RELATED)),
        public_id=public_id,
    )
    return Generated(obj.contract, PaperKind.AVENANT, obj.signed_on,
                     lambda: documents.amendment_pdf(obj),
                     f"Avenant {obj.number} du contrat {obj.contract.reference}")  # fmt: skip


def receipt(public_id: Any) -> Generated:
    related = tuple(f"contract__{name}" for name in documents.CONTRACT_RELATED)
    obj = get_object_or_404(
        LedgerEntry.objects.select_related(*related, "created_by"),
        public_id=public_id, kind=LedgerKind.PAIEMENT,
    )  # fmt: skip
    return Generated(obj.contract, PaperKind.RECU, obj.date,
                     lambda: documents.receipt_pdf(obj), f"Reçu {obj.number}")  # fmt: skip


def inventory(public_id: Any) -> Generated:
    obj = get_object_or_404(inventory_for_page(public_id))
    return Generated(obj.contract, PaperKind.ETAT_DES_LIEUX, obj.date,
                     lambda: inventory_pdf(obj),
                     f"{obj.get_kind_display().capitalize()} du contrat "
                     f"{obj.contract.reference}")  # fmt: skip


def note_of(generated: Generated) -> str:
    return f"{generated.name}, produit par le logiciel"


@transaction.atomic
def file_generated(generated: Generated, by: User) -> tuple[Paper, bool]:
    """The paper, and whether it was filed now (False: the same document was filed before,
    a second click files nothing)."""
    contract = SubleaseContract.objects.select_for_update().get(pk=generated.contract.pk)
    note = note_of(generated)
    existing = Paper.objects.filter(contract=contract, kind=generated.kind, note=note).first()
    if existing is not None:
        return existing, False
    prepared: Prepared = pdf_prepared(generated.pdf())
    paper = paper_add_prepared(
        owner=Owner(household=contract.household, contract=contract),
        data=PaperData(kind=generated.kind, issued_on=min(generated.issued_on,
                                                           timezone.localdate()), note=note),
        prepared=[prepared],
        by=by,
    )  # fmt: skip
    return paper, True
