"""The annual activity report: the head's narrative for a period, and generated versions.

A version is the report as it was handed over: its figures, a copy of the narrative, the PDF
and the workbook, computed once by a Celery task (``reporting.tasks``) and frozen from then
on. PostgreSQL refuses any change to a version once it is ready (``reportversion_frozen``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from iml.codes import choice_constraint
from iml.scoping import OrganisationOwned, public_id_unique


class ReportNarrative(OrganisationOwned):
    """What the head of service writes for one dispositif and period; the numbers come from
    the data. One per organisation, dispositif and period."""

    dispositif = models.ForeignKey(
        "iml.Dispositif", on_delete=models.PROTECT, related_name="report_narratives"
    )
    start = models.DateField("début de la période")
    end = models.DateField("fin de la période")
    mission = models.TextField("mission du dispositif", blank=True)
    highlights = models.TextField("faits marquants", blank=True)
    difficulties = models.TextField("difficultés rencontrées", blank=True)
    perspectives = models.TextField("perspectives", blank=True)
    staff_etp = models.DecimalField(
        "effectif (ETP)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999.99"))],
        help_text="Équivalents temps plein affectés au dispositif, par exemple 0,70.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "récit du rapport"
        constraints = [
            public_id_unique("reportnarrative"),
            models.UniqueConstraint(
                fields=["organisation", "dispositif", "start", "end"],
                name="reportnarrative_one_per_period",
                violation_error_message="Un récit existe déjà pour ce dispositif et cette période.",
            ),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="reportnarrative_period"),
            models.CheckConstraint(
                condition=Q(staff_etp__isnull=True) | Q(staff_etp__gte=0),
                name="reportnarrative_staff_etp_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Récit {self.dispositif_id} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class ReportStatus(models.TextChoices):
    PENDING = "en_attente", "en attente"
    RUNNING = "en_cours", "en cours"
    READY = "pret", "prêt"
    FAILED = "echec", "échec"


RUNNING_STATUSES = (ReportStatus.PENDING, ReportStatus.RUNNING)
# A version still waiting or running after this long was lost (worker stopped): shown as
# interrupted, and a new one may be requested.
STALE_AFTER = datetime.timedelta(minutes=15)


@pgtrigger.register(
    # Frozen once ready: what was handed over to the funder never changes, whatever happens
    # to the data later (the service never tries; the database makes sure).
    pgtrigger.Protect(
        name="reportversion_frozen",
        operation=pgtrigger.Update,
        condition=pgtrigger.Q(old__status="pret"),
    )
)
class ReportVersion(OrganisationOwned):
    """One generation of the report for a dispositif and period."""

    dispositif = models.ForeignKey(
        "iml.Dispositif", on_delete=models.PROTECT, related_name="report_versions"
    )
    start = models.DateField("début de la période")
    end = models.DateField("fin de la période")
    status = models.CharField(
        "état", max_length=12, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(
        "avancement (%)", default=0, validators=[MaxValueValidator(100)]
    )
    # The JSON form of shared/docs/annual-report.md, as computed.
    figures = models.JSONField("chiffres", null=True, blank=True, editable=False)
    # A copy of the narrative at generation time (ReportNarrative may change afterwards).
    narrative = models.JSONField("récit", default=dict, blank=True, editable=False)
    # The funder's block (``reporting.funder_block``): what a DDETS asks first that the JSON
    # form does not hold. Absent from the versions built before it existed.
    funder_figures = models.JSONField(
        "chiffres du financeur", null=True, blank=True, editable=False
    )
    pdf = models.BinaryField("PDF", null=True, editable=False)
    xlsx = models.BinaryField("classeur", null=True, editable=False)
    gaps = models.PositiveIntegerField("lacunes restantes", null=True, blank=True)
    error = models.TextField("erreur", blank=True)
    # PROTECT, not SET_NULL: a ready version accepts no update, not even that one.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "version du rapport"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organisation", "dispositif", "start", "end"], name="reportversion_period"
            ),
        ]
        constraints = [
            public_id_unique("reportversion"),
            choice_constraint("status", ReportStatus),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="reportversion_period"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="reportversion_progress"
            ),
            models.CheckConstraint(
                condition=~Q(status="pret")
                | Q(figures__isnull=False, pdf__isnull=False, xlsx__isnull=False),
                name="reportversion_ready_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Rapport {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_stale(self) -> bool:
        return self.is_running and self.created_at < timezone.now() - STALE_AFTER

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.READY
