"""The funder's side: what operators submitted to their DDETS, and who of the funders read it.

These tables are outside the operators' row-level security (they have no ``organisation``
scope): a funder's agent belongs to no operator. What crosses to them is a copy, made at
submission (``funders.services.submit``), of a frozen report version: the report's figures
(counts and amounts), the funder's block of figures, the narrative, the PDF and the XLSX;
and, in ``FundedDispositif``, who runs which dispositif with how many places. No household,
person or ledger row is ever copied. What an agent sees is cut by the territory of their
institution (``funders.scope``), never by a parameter of the request.
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from iml.codes import choice_constraint


class FundedDispositif(models.Model):
    """A dispositif that names its DDETS, as the funder's side knows it (its list of the
    dispositifs it funds, and of the reports still to come)."""

    dispositif_public_id = models.UUIDField("dispositif", unique=True)
    organisation = models.ForeignKey("iml.Organisation", on_delete=models.CASCADE, related_name="+")
    organisation_slug = models.CharField("opérateur (identifiant)", max_length=50)
    organisation_name = models.CharField("opérateur", max_length=200)
    code = models.CharField("code", max_length=30)
    name = models.CharField("nom", max_length=200)
    category = models.CharField("catégorie", max_length=20)
    zone = models.CharField("zone", max_length=20)
    places = models.PositiveIntegerField("places financées", default=0)
    report_start_month = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField("actif", default=True)
    institution = models.ForeignKey(
        "iml.Institution", on_delete=models.PROTECT, related_name="funded_dispositifs"
    )
    departement = models.CharField("département", max_length=3)
    region = models.CharField("région", max_length=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dispositif financé"
        verbose_name_plural = "dispositifs financés"
        ordering = ["departement", "organisation_name", "code"]
        indexes = [models.Index(fields=["region", "departement"], name="funded_territory")]

    def __str__(self) -> str:
        return f"{self.organisation_name} — {self.name} ({self.code})"


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "transmis", "transmis"
    ACKNOWLEDGED = "recu", "reçu par la DDETS"
    RETURNED = "renvoye", "renvoyé pour correction"
    SUPERSEDED = "remplace", "remplacé par une version corrigée"


# What counts for the year: a report handed over and not sent back (nor replaced).
CURRENT_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACKNOWLEDGED)
# The content of a submission: frozen from the moment it is written.
CONTENT_FIELDS = (
    "figures", "funder_figures", "narrative", "previous", "pdf", "xlsx", "start", "end",
    "dispositif_public_id", "organisation_id", "institution_id", "number", "submitted_at",
)  # fmt: skip


@pgtrigger.register(
    # What the operator handed over never changes; only its review moves (status, comment).
    pgtrigger.Protect(
        name="submission_content_frozen",
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange(*CONTENT_FIELDS),
    ),
    pgtrigger.Protect(name="submission_kept", operation=pgtrigger.Delete),
)
class Submission(models.Model):
    """One version of a dispositif's annual report, submitted by the operator's head to its
    DDETS. A corrected report is a new submission (``number`` + 1); every one is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(
        "iml.Institution",
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name="DDETS",
    )
    organisation = models.ForeignKey("iml.Organisation", on_delete=models.PROTECT, related_name="+")
    organisation_slug = models.CharField("opérateur (identifiant)", max_length=50)
    organisation_name = models.CharField("opérateur", max_length=200)
    dispositif_public_id = models.UUIDField("dispositif")
    dispositif_code = models.CharField("code du dispositif", max_length=30)
    dispositif_name = models.CharField("dispositif", max_length=200)
    category = models.CharField("catégorie", max_length=20)
    zone = models.CharField("zone", max_length=20)
    places = models.PositiveIntegerField("places financées", default=0)
    departement = models.CharField("département", max_length=3)
    region = models.CharField("région", max_length=2)
    start = models.DateField("début de la période")
    end = models.DateField("fin de la période")
    year = models.PositiveSmallIntegerField("année du rapport")
    number = models.PositiveSmallIntegerField("version transmise", default=1)
    source_version = models.UUIDField("version du rapport", unique=True)
    figures = models.JSONField("chiffres")
    funder_figures = models.JSONField("chiffres du financeur")
    narrative = models.JSONField("récit", default=dict)
    # N-1 as the operator's data gave it at submission ({"figures", "funder_figures"}): the
    # comparison a DDETS reads when no report of the year before was submitted (its first
    # year on the platform).
    previous = models.JSONField("N-1 à la transmission", default=dict, blank=True)
    pdf = models.BinaryField("PDF")
    xlsx = models.BinaryField("classeur")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by_name = models.CharField("transmis par", max_length=300)
    submitted_at = models.DateTimeField("transmis le", default=timezone.now)
    status = models.CharField(
        "état", max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by_name = models.CharField("examiné par", max_length=300, blank=True)
    reviewed_at = models.DateTimeField("examiné le", null=True, blank=True)
    comment = models.TextField("commentaire de la DDETS", blank=True)

    class Meta:
        verbose_name = "rapport transmis"
        verbose_name_plural = "rapports transmis"
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["institution", "year"], name="submission_institution_year"),
            models.Index(fields=["region", "year"], name="submission_region_year"),
            models.Index(fields=["organisation", "year"], name="submission_organisation_year"),
        ]
        constraints = [
            choice_constraint("status", SubmissionStatus),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="submission_period"),
            models.UniqueConstraint(
                fields=["dispositif_public_id", "start", "end", "number"],
                name="submission_number_unique",
            ),
            # At most one report under review or received per dispositif and period.
            models.UniqueConstraint(
                fields=["dispositif_public_id", "start", "end"],
                condition=Q(status__in=["transmis", "recu"]),
                name="submission_one_current",
            ),
            models.CheckConstraint(
                condition=~Q(status="renvoye") | ~Q(comment=""),
                name="submission_returned_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.organisation_name} — {self.dispositif_code} "
            f"{self.start:%d/%m/%Y}–{self.end:%d/%m/%Y} (v{self.number})"
        )

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_STATUSES


class FunderAccessAction(models.TextChoices):
    VIEW = "view", "consultation"
    EXPORT = "export", "export"


class FunderAccess(models.Model):
    """Every page and export a funder's agent opened (who, which institution, what, when):
    the operators' reports are read under the State's responsibility. Kept one year."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="personne",
    )
    institution = models.ForeignKey(
        "iml.Institution", on_delete=models.CASCADE, related_name="+", verbose_name="financeur"
    )
    action = models.CharField("action", max_length=10, choices=FunderAccessAction.choices)
    object_type = models.CharField("objet", max_length=30)
    object_id = models.UUIDField("identifiant de l’objet", null=True, blank=True)
    path = models.CharField("page", max_length=300)
    at = models.DateTimeField("date", default=timezone.now)

    class Meta:
        verbose_name = "accès d’un financeur"
        verbose_name_plural = "accès des financeurs"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["institution", "at"], name="funderaccess_institution"),
            models.Index(fields=["object_id"], name="funderaccess_object"),
        ]
        constraints = [choice_constraint("action", FunderAccessAction)]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()} {self.object_type}"
