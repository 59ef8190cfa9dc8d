"""Alerts: what the daily job raises about a household (deadlines, debts, silence), until it
is resolved; each member sees the alerts of their role (``alerts.selectors``)."""

from __future__ import annotations

import datetime

from django.db import models
from django.urls import reverse

from households.stays import STAY_LIMIT_MONTHS
from iml.models import Role, User
from iml.scoping import OrganisationOwned, public_id_unique


class AlertKind(models.TextChoices):
    SUBLEASE_RENEWAL = "sous_location", "échéance de la sous-location"
    SUPPORT_SIGNATURE = "signature_accompagnement", "contrat d’accompagnement non signé"
    SUPPORT_RENEWAL = "accompagnement", "échéance de l’accompagnement"
    DEBT = "dette", "dette locative"
    INSTALMENT = "plan_apurement", "échéance de plan d’apurement manquée"
    NO_CONTACT = "sans_contact", "pas de contact avec le ménage"
    PLANNED_EXIT = "sortie_prevue", "sortie prévue à enregistrer"
    PAPER = "piece", "pièce qui expire"
    HOME_PAPER = "piece_logement", "pièce d’un logement qui expire"
    DEMAND_RENEWAL = "demande_logement", "demande de logement social à renouveler"
    FOLLOW_UP = "suivi_sortie", "suivi après la sortie"
    CAF_STOPPED = "caf_interrompue", "aide au logement interrompue"
    DEBIT_REJECTED = "prelevement_rejete", "prélèvement rejeté"


class AlertLevel(models.TextChoices):
    WARNING = "warning", "à venir"
    DUE = "due", "aujourd’hui"
    OVERDUE = "overdue", "en retard"


class AlertStatus(models.TextChoices):
    OPEN = "ouverte", "ouverte"
    SEEN = "vue", "vue"
    RESOLVED = "resolue", "résolue"


class Alert(OrganisationOwned):
    """Something that needs doing about a household, raised and cleared by the daily job
    (``alerts.job``): one row per subject (contract, plan, household), kind and milestone."""

    # A household's, or (the papers of a home: its main lease's end…) a home's.
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="alerts",
        null=True,
        blank=True,
    )
    unit = models.ForeignKey(
        "housing.HousingUnit",
        on_delete=models.CASCADE,
        related_name="alerts",
        null=True,
        blank=True,
        verbose_name="logement",
    )
    kind = models.CharField("nature", max_length=30, choices=AlertKind.choices)
    subject_id = models.BigIntegerField("objet")
    milestone = models.CharField("jalon", max_length=50)
    level = models.CharField("niveau", max_length=10, choices=AlertLevel.choices)
    due_date = models.DateField("échéance")
    # A person (the household's referent) or, when empty, everyone of ``assignee_role``.
    assignee = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    assignee_role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(
        "état", max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    seen_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        # Moved from the core app: the table keeps its name (no data migration).
        db_table = "iml_alert"
        verbose_name = "alerte"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "level"], name="alert_org_status"),
            models.Index(fields=["organisation", "assignee", "status"], name="alert_assignee"),
        ]
        constraints = [
            public_id_unique("alert"),
            # Running the job twice, or on two workers at once, creates nothing more.
            models.UniqueConstraint(
                fields=["organisation", "kind", "subject_id", "milestone"],
                name="alert_one_per_subject_milestone",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=AlertKind.values), name="alert_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(household__isnull=False) | models.Q(unit__isnull=False),
                name="alert_about_household_or_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=AlertLevel.values), name="alert_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AlertStatus.values), name="alert_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.due_date:%d/%m/%Y}"

    @property
    def about_label(self) -> str:
        """What the alert is about: the household's reference, or the home's."""
        if self.household_id is not None:
            return f"ménage {self.household.reference}"
        return f"logement {self.unit.reference}"

    @property
    def about_url(self) -> str:
        if self.household_id is not None:
            return str(self.household.get_absolute_url())
        return reverse("housing:unit_detail", args=[self.unit.public_id]) + "#pieces"

    @property
    def title(self) -> str:
        if self.kind in (AlertKind.SUBLEASE_RENEWAL, AlertKind.SUPPORT_RENEWAL):
            what = "sous-location" if self.kind == AlertKind.SUBLEASE_RENEWAL else "accompagnement"
            if int(self.milestone) >= STAY_LIMIT_MONTHS:
                return f"Limite des 18 mois de séjour ({what}) : sortie ou renouvellement justifié"
            of = "de la sous-location" if what == "sous-location" else "de l’accompagnement"
            return f"Fin du terme {of} ({self.milestone} mois de séjour) : renouvellement à décider"
        if self.kind == AlertKind.INSTALMENT:
            return f"Échéance n° {self.milestone} du plan d’apurement manquée"
        if self.kind == AlertKind.PLANNED_EXIT:
            day = datetime.date.fromisoformat(self.milestone)
            return f"Sortie prévue le {day:%d/%m/%Y} : à enregistrer, ou à reporter"
        if self.kind == AlertKind.FOLLOW_UP:
            return (
                f"Suivi à {self.milestone} mois de la sortie : le ménage garde-t-il son logement ?"
            )
        if self.kind == AlertKind.DEMAND_RENEWAL:
            day = datetime.date.fromisoformat(self.milestone)
            return f"Demande de logement social à renouveler avant le {day:%d/%m/%Y} (sinon radiée)"
        if self.kind == AlertKind.CAF_STOPPED:
            month = datetime.date.fromisoformat(f"{self.milestone}-01")
            return (
                f"Aide au logement absente du versement CAF de {month:%m/%Y} : droit suspendu ? "
                "(premier pas d’une dette)"
            )
        if self.kind == AlertKind.DEBIT_REJECTED:
            # ``<collection date>|<SEPA return code>`` (``banking.sepa``).
            day, _, code = self.milestone.partition("|")
            from banking.codes import RejectionReason

            reason = RejectionReason(code).label if code in RejectionReason.values else code
            return (
                f"Prélèvement du {datetime.date.fromisoformat(day):%d/%m/%Y} rejeté ({reason}) : "
                "le loyer reste dû"
            )
        if self.kind in (AlertKind.PAPER, AlertKind.HOME_PAPER):
            from papers.watch import alert_title

            return alert_title(self.milestone)
        return str(self.get_kind_display()).capitalize()
