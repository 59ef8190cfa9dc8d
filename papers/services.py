"""Adding and removing papers. Files are written to storage with the rows; if anything fails
the rows roll back and the files already written are removed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from households.models import Household, Person
from housing.models import HousingUnit, Landlord, MainLease
from iml.codes import PaperKind
from iml.models import User
from papers.files import Prepared, prepare_all
from papers.kinds import HOME_KINDS
from papers.models import Paper, PaperFile, PaperType
from support.models import SupportContract
from tenancy.models import SubleaseContract


@dataclass
class Owner:
    """What a paper is about (one of household, unit, landlord; the others narrow it)."""

    household: Household | None = None
    person: Person | None = None
    contract: SubleaseContract | None = None
    support_contract: SupportContract | None = None
    unit: HousingUnit | None = None
    lease: MainLease | None = None
    landlord: Landlord | None = None

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class PaperData:
    kind: str
    issued_on: datetime.date
    valid_until: datetime.date | None = None
    custom_type: PaperType | None = None
    energy_class: str = ""
    note: str = ""


def _check(owner: Owner, data: PaperData) -> None:
    if data.issued_on > timezone.localdate():
        raise ValidationError({"issued_on": "La date du document ne peut pas être future."})
    if data.valid_until is not None and data.valid_until < data.issued_on:
        raise ValidationError(
            {"valid_until": "La fin de validité ne peut pas précéder la date du document."}
        )
    if data.custom_type is not None:
        data.kind = PaperKind.AUTRE
    if data.kind != PaperKind.DPE:
        data.energy_class = ""
    if owner.household is None and data.kind not in HOME_KINDS:
        raise ValidationError({"kind": "Ce type de pièce concerne un ménage."})
    for part in ("person", "contract", "support_contract"):
        value = getattr(owner, part)
        if value is not None and value.household_id != getattr(owner.household, "pk", None):
            raise ValidationError("Cette personne ou ce contrat n’est pas celui du ménage.")
    if owner.lease is not None and owner.lease.unit_id != getattr(owner.unit, "pk", None):
        raise ValidationError("Ce bail n’est pas celui du logement.")


@transaction.atomic
def paper_add(
    *, owner: Owner, data: PaperData, uploads: list[UploadedFile[bytes]], by: User
) -> Paper:
    """A paper and its files (pages), all checked from their content first."""
    prepared = prepare_all(uploads)
    return paper_add_prepared(owner=owner, data=data, prepared=prepared, by=by)


@transaction.atomic
def paper_add_prepared(
    *, owner: Owner, data: PaperData, prepared: list[Prepared], by: User
) -> Paper:
    _check(owner, data)
    paper = Paper(
        kind=data.kind,
        custom_type=data.custom_type,
        issued_on=data.issued_on,
        valid_until=data.valid_until,
        energy_class=data.energy_class,
        note=data.note.strip(),
        created_by=by,
        **owner.fields(),
    )
    paper.full_clean()
    paper.save()
    written: list[PaperFile] = []
    try:
        for position, item in enumerate(prepared, start=1):
            page = PaperFile(paper=paper, position=position, content_type=item.content_type,
                             size=item.size, sha256=item.sha256)  # fmt: skip
            written.append(page)
            page.file.save(item.content.name or "page", item.content, save=False)
            if item.thumbnail is not None:
                page.thumbnail.save("vignette.jpg", item.thumbnail, save=False)
            page.save()
    except BaseException:
        for page in written:
            _remove_files(page.file.name, page.thumbnail.name)
        raise
    # A rollback after this point (the caller's transaction) leaves files no row names: the
    # nightly sweep removes them (``papers.tasks.sweep_orphans``).
    if data.kind == PaperKind.DPE and data.energy_class and owner.unit is not None:
        # The latest DPE gives the home its class (the climate law's letting ban reads it).
        later = Paper.objects.filter(unit=owner.unit, kind=PaperKind.DPE).exclude(energy_class="")
        if not later.filter(issued_on__gt=data.issued_on).exists():
            HousingUnit.objects.filter(pk=owner.unit.pk).update(energy_class=data.energy_class)
    return paper


def _remove_files(*names: str | None) -> None:
    storage = PaperFile._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


@transaction.atomic
def paper_type_save(paper_type: PaperType) -> PaperType:
    """A kind of paper of the organisation, new or changed (its label unique in it)."""
    paper_type.label = paper_type.label.strip()
    if paper_type.label.casefold() in {str(kind.label).casefold() for kind in PaperKind}:
        raise ValidationError({"label": "Ce type existe déjà parmi les types habituels."})
    paper_type.full_clean()
    paper_type.save()
    return paper_type


@transaction.atomic
def paper_delete(*, paper: Paper, by: User | None) -> None:
    """Removes the paper, then its files once the deletion is committed (``by``: None for the
    retention purge)."""
    names = [name for page in paper.files.all() for name in (page.file.name, page.thumbnail.name)]
    paper.delete()
    transaction.on_commit(lambda: _remove_files(*names))
