"""Papers kept in the file: a scan or photo of an identity paper, a signed contract, a main
lease… attached to a household (or one of its persons, contracts), a home or a landlord.

A paper is its description (kind, dates, note) and one or more files (the pages of a scan).
Files live in the ``papers`` storage under a random name below the organisation's public id:
no personal data in a name, nothing served from a public URL (``papers.views.download``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q

from housing.models import EnergyClass
from iml.codes import PaperKind, choice_constraint
from iml.scoping import OrganisationOwned, public_id_unique
from papers.kinds import AUDIENCE, WATCHED, Audience


def papers_storage() -> Any:
    return storages["papers"]


def paper_file_name(instance: PaperFile, filename: str) -> str:
    """``<organisation public id>/<random>.<ext>``: the uploaded name (often a person's name)
    is never kept."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{instance.paper.organisation.public_id}/{uuid.uuid4().hex}.{extension}"


class PaperType(OrganisationOwned):
    """A kind of paper an organisation adds to the usual ones (filed under « autre »)."""

    label = models.CharField("intitulé", max_length=100)
    audience = models.CharField(
        "lisible par", max_length=10, choices=Audience.choices, default=Audience.SOCIAL,
        help_text="« Identité » et « logement » : aussi le ou la régisseur·se.",
    )  # fmt: skip
    watched = models.BooleanField(
        "surveiller l’expiration", default=False,
        help_text="Une alerte avant la fin de validité, comme pour un titre de séjour.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "type de pièce"
        ordering = ["label"]
        constraints = [
            public_id_unique("papertype"),
            models.UniqueConstraint(
                fields=["organisation", "label"],
                name="papertype_label_unique",
                violation_error_message="Ce type de pièce existe déjà.",
            ),
            choice_constraint("audience", Audience),
        ]

    def __str__(self) -> str:
        return self.label


# The papers whose end of validity the daily job watches: a watched usual kind, or an
# organisation's kind marked so (``Paper.watched`` says the same of one paper).
WATCHED_PAPERS = Q(custom_type__isnull=True, kind__in=list(WATCHED)) | Q(custom_type__watched=True)


class Paper(OrganisationOwned):
    kind = models.CharField("type", max_length=30, choices=PaperKind.choices)
    custom_type = models.ForeignKey(
        PaperType, on_delete=models.PROTECT, null=True, blank=True, related_name="papers",
        verbose_name="type propre à l’organisation",
    )  # fmt: skip
    # What it is about: a household (possibly one of its persons or contracts), a home (possibly
    # one of its main leases) or a landlord.
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="ménage",
    )  # fmt: skip
    person = models.ForeignKey(
        "households.Person", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="personne",
    )  # fmt: skip
    contract = models.ForeignKey(
        "tenancy.SubleaseContract", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="contrat de sous-location",
    )  # fmt: skip
    support_contract = models.ForeignKey(
        "support.SupportContract", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="contrat d’accompagnement",
    )  # fmt: skip
    unit = models.ForeignKey(
        "housing.HousingUnit", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="logement",
    )  # fmt: skip
    lease = models.ForeignKey(
        "housing.MainLease", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="bail principal",
    )  # fmt: skip
    landlord = models.ForeignKey(
        "housing.Landlord", on_delete=models.PROTECT, null=True, blank=True,
        related_name="papers", verbose_name="bailleur",
    )  # fmt: skip
    issued_on = models.DateField("date du document")
    valid_until = models.DateField(
        "valable jusqu’au", null=True, blank=True, help_text="Vide : sans fin de validité."
    )
    energy_class = models.CharField(
        "classe du DPE", max_length=1, choices=EnergyClass.choices, blank=True
    )
    note = models.CharField("note", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("ajoutée le", auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "pièce"
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "valid_until"], name="paper_valid_until"),
        ]
        constraints = [
            public_id_unique("paper"),
            choice_constraint("kind", PaperKind),
            choice_constraint("energy_class", EnergyClass, blank=True),
            # One owner: a household, a home or a landlord.
            models.CheckConstraint(
                condition=Q(household__isnull=False, unit__isnull=True, landlord__isnull=True)
                | Q(household__isnull=True, unit__isnull=False, landlord__isnull=True)
                | Q(household__isnull=True, unit__isnull=True, landlord__isnull=False),
                name="paper_one_owner",
                violation_error_message="Une pièce concerne un ménage, un logement ou un bailleur.",
            ),
            models.CheckConstraint(
                condition=Q(
                    person__isnull=True, contract__isnull=True, support_contract__isnull=True
                )
                | Q(household__isnull=False),
                name="paper_household_details",
            ),
            models.CheckConstraint(
                condition=Q(lease__isnull=True) | Q(unit__isnull=False),
                name="paper_lease_of_unit",
            ),
            models.CheckConstraint(
                condition=Q(custom_type__isnull=True) | Q(kind=PaperKind.AUTRE),
                name="paper_custom_type_is_autre",
            ),
            models.CheckConstraint(
                condition=Q(energy_class="") | Q(kind=PaperKind.DPE),
                name="paper_energy_class_of_dpe",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("issued_on")),
                name="paper_valid_after_issued",
                violation_error_message="La fin de validité ne peut pas précéder la date du "
                "document.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.custom_type_id is not None:
            return self.custom_type.label
        return str(self.get_kind_display())

    @property
    def audience(self) -> str:
        if self.custom_type_id is not None:
            return self.custom_type.audience
        return AUDIENCE[self.kind]

    @property
    def watched(self) -> bool:
        if self.custom_type_id is not None:
            return self.custom_type.watched
        return self.kind in WATCHED


class PaperFile(OrganisationOwned):
    """One file of a paper (a page of a scan, a PDF), checked from its content."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField("page", default=1)
    file = models.FileField(storage=papers_storage, upload_to=paper_file_name, max_length=200)
    thumbnail = models.FileField(
        storage=papers_storage, upload_to=paper_file_name, max_length=200, blank=True
    )
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "fichier de pièce"
        ordering = ["paper", "position"]
        constraints = [
            public_id_unique("paperfile"),
            models.UniqueConstraint(fields=["paper", "position"], name="paperfile_position"),
        ]

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
