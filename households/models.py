"""Households (ménages) oriented by the SIAO, their persons, resources and employment."""

from __future__ import annotations

import datetime
import unicodedata

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from iml.codes import (
    BAIL_GLISSANT_DESTINATIONS,
    Employment,
    ExitDestination,
    ExitSupport,
    PersonRole,
    PriorSituation,
    ProtectionStatus,
    Resource,
    Sex,
    WithdrawalReason,
    array_choice_constraint,
    choice_constraint,
)
from iml.scoping import (
    OrganisationOwned,
    OrganisationScopedManager,
    OrganisationScopedQuerySet,
    public_id_unique,
)


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces collapsed: "Éloïse  Müller" → "eloise muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.lower().split())


class HouseholdStatus(models.TextChoices):
    ORIENTED = "oriented", "orienté (liste d’attente)"
    PRESENT = "present", "présent"
    EXITED = "exited", "sorti"
    WITHDRAWN = "withdrawn", "retiré de la liste d’attente"


def q_present_at(day: datetime.date, prefix: str = "") -> Q:
    """Present at ``day``: entered on or before it, not yet out (the exit date is the first
    day out). The one definition (``households.stays.present_on`` is its Python twin); the
    report, « Mes ménages », the workshops and the alerts use it."""
    return Q(**{f"{prefix}entry_date__lte": day}) & (
        Q(**{f"{prefix}exit_date__isnull": True}) | Q(**{f"{prefix}exit_date__gt": day})
    )


class HouseholdQuerySet(OrganisationScopedQuerySet):
    def present_at(self, day: datetime.date) -> HouseholdQuerySet:
        return self.filter(q_present_at(day))

    def with_status(self) -> HouseholdQuerySet:
        """Annotates ``status_code``, derived from the dates as the report derives it."""
        return self.annotate(
            status_code=models.Case(
                models.When(withdrawal_date__isnull=False, then=models.Value("withdrawn")),
                models.When(exit_date__isnull=False, then=models.Value("exited")),
                models.When(entry_date__isnull=False, then=models.Value("present")),
                default=models.Value("oriented"),
                output_field=models.CharField(),
            )
        )

    def with_status_filter(self, status: str) -> HouseholdQuerySet:
        return {
            HouseholdStatus.ORIENTED: self.waiting(),
            HouseholdStatus.PRESENT: self.filter(entry_date__isnull=False, exit_date__isnull=True),
            HouseholdStatus.EXITED: self.filter(exit_date__isnull=False),
            HouseholdStatus.WITHDRAWN: self.filter(withdrawal_date__isnull=False),
        }.get(status, self)

    def waiting(self) -> HouseholdQuerySet:
        return self.filter(entry_date__isnull=True, withdrawal_date__isnull=True)


@pghistory.track(model_name="HouseholdHistory")
class Household(OrganisationOwned):
    """A household oriented to a dispositif; its status is derived from its dates."""

    dispositif = models.ForeignKey(
        "iml.Dispositif", on_delete=models.PROTECT, related_name="households"
    )
    reference = models.CharField(
        "référence", max_length=50, help_text="Référence interne de l’opérateur."
    )
    siao_reference = models.CharField("référence SI-SIAO", max_length=50, blank=True)
    # What the CAF's detail of its bulk payment names the household by (``banking.caf``).
    caf_number = models.CharField("n° d’allocataire CAF", max_length=20, blank=True)
    # Empty only in imported history whose documents give no date: the household then counts
    # in no orientation figure of the report, which lists it as a data-quality gap.
    orientation_date = models.DateField("date d’orientation SIAO", null=True, blank=True)
    orienting_structure = models.CharField(
        "structure orienteuse",
        max_length=200,
        blank=True,
        help_text="Par exemple « CADA Le Pont Chalon-sur-Saône ».",
    )
    prior_situation = models.CharField(
        "situation avant l’entrée", max_length=30, choices=PriorSituation.choices, blank=True
    )
    reinforced_support = models.BooleanField("accompagnement renforcé", default=False)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="travailleur·se social·e référent·e",
    )
    entry_date = models.DateField("date d’entrée", null=True, blank=True)
    exit_date = models.DateField(
        "date de sortie", null=True, blank=True, help_text="Premier jour hors du dispositif."
    )
    exit_destination = models.CharField(
        "destination à la sortie", max_length=30, choices=ExitDestination.choices, blank=True
    )
    bail_glissant = models.BooleanField("sortie par bail glissant", default=False)
    exit_support = ArrayField(
        models.CharField(max_length=10, choices=ExitSupport.choices),
        verbose_name="accompagnement après la sortie",
        default=list,
        blank=True,
    )
    # A planned exit (an accepted social housing, a date agreed with the household): it shows
    # in the spaces that free up and raises an alert on the day; the exit itself is recorded
    # on the day (``exit_date``), which clears it.
    planned_exit_date = models.DateField("sortie prévue le", null=True, blank=True)
    withdrawal_date = models.DateField("date de retrait", null=True, blank=True)
    withdrawal_reason = models.CharField(
        "motif du retrait", max_length=30, choices=WithdrawalReason.choices, blank=True
    )
    # Set when the retention period has passed and identities were removed (RGPD).
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationScopedManager.from_queryset(HouseholdQuerySet)()
    all_organisations = models.Manager.from_queryset(HouseholdQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "ménage"
        constraints = [
            public_id_unique("household"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="household_reference_unique",
                violation_error_message="Un ménage de l’organisation porte déjà cette référence.",
            ),
            choice_constraint("prior_situation", PriorSituation, blank=True),
            choice_constraint("exit_destination", ExitDestination, blank=True),
            choice_constraint("withdrawal_reason", WithdrawalReason, blank=True),
            array_choice_constraint("exit_support", ExitSupport),
            models.CheckConstraint(
                condition=Q(entry_date__isnull=True)
                | Q(orientation_date__isnull=True)
                | Q(entry_date__gte=F("orientation_date")),
                name="household_entry_after_orientation",
                violation_error_message="L’entrée ne peut pas précéder l’orientation.",
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True)
                | Q(entry_date__isnull=False, exit_date__gte=F("entry_date")),
                name="household_exit_after_entry",
                violation_error_message="La sortie ne peut pas précéder l’entrée.",
            ),
            models.CheckConstraint(
                condition=Q(planned_exit_date__isnull=True)
                | Q(exit_date__isnull=True, entry_date__isnull=False),
                name="household_planned_exit_while_present",
                violation_error_message="Une sortie se prévoit pour un ménage entré, pas encore "
                "sorti.",
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=False)
                | Q(exit_destination="", bail_glissant=False, exit_support=[]),
                name="household_exit_details_need_exit",
                violation_error_message="Destination et mesures de sortie supposent une sortie.",
            ),
            models.CheckConstraint(
                condition=Q(bail_glissant=False)
                | Q(exit_destination__in=list(BAIL_GLISSANT_DESTINATIONS)),
                name="household_bail_glissant_destination",
                violation_error_message="Un bail glissant mène à un logement autonome "
                "(bailleur social ou privé).",
            ),
            # A withdrawal has a date, follows the orientation and concerns a household that
            # never entered; its reason may be missing in imported history (counted under
            # « inconnu », a data-quality gap), never a reason without a date.
            models.CheckConstraint(
                condition=(Q(withdrawal_date__isnull=True) & Q(withdrawal_reason=""))
                | (
                    Q(withdrawal_date__isnull=False)
                    & Q(entry_date__isnull=True)
                    & (
                        Q(orientation_date__isnull=True)
                        | Q(withdrawal_date__gte=F("orientation_date"))
                    )
                ),
                name="household_withdrawal_consistent",
                violation_error_message="Un retrait a une date, suit l’orientation et concerne "
                "un ménage jamais entré.",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "orientation_date"]),
            models.Index(fields=["organisation", "dispositif", "entry_date", "exit_date"]),
            models.Index(fields=["organisation", "siao_reference"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def heading(self) -> str:
        """The reference beside the reference person's name, as page headers show it: people
        remember names, not references. Annotated by the selectors (``head_last_name``,
        ``head_first_name``), else read here."""
        if hasattr(self, "head_last_name"):
            names = [self.head_last_name, self.head_first_name]
        else:
            person = (
                self.persons.filter(role=PersonRole.REFERENT)
                .values_list("last_name", "first_name")
                .first()
            )
            names = list(person or ())
        name = " ".join(part for part in names if part)
        return f"{self.reference} — {name}" if name else self.reference

    def get_absolute_url(self) -> str:
        return reverse("households:household_detail", kwargs={"household": self.public_id})

    @property
    def status(self) -> HouseholdStatus:
        if self.withdrawal_date:
            return HouseholdStatus.WITHDRAWN
        if self.exit_date:
            return HouseholdStatus.EXITED
        if self.entry_date:
            return HouseholdStatus.PRESENT
        return HouseholdStatus.ORIENTED

    def get_status_display(self) -> str:
        return self.status.label

    def days_waited(self, today: datetime.date | None = None) -> int | None:
        """Days from the orientation to the entry, the withdrawal or today (None: the
        orientation date is unknown)."""
        if self.orientation_date is None:
            return None
        end = self.entry_date or self.withdrawal_date or today or timezone.localdate()
        return (end - self.orientation_date).days


class PersonQuerySet(OrganisationScopedQuerySet):
    def present_at(self, day: datetime.date) -> PersonQuerySet:
        """Persons in their household at ``day`` (own dates, else the household's)."""
        joined = models.functions.Coalesce("joined_date", "household__entry_date")
        left = models.functions.Coalesce("left_date", "household__exit_date")
        return (
            self.annotate(_joined=joined, _left=left)
            .filter(_joined__lte=day)
            .filter(Q(_left__isnull=True) | Q(_left__gt=day))
        )


def is_adult_role(role: str | None) -> bool:
    """Whether a person of ``role`` is one of the household's adults (employment concerns
    them): every role but a child's."""
    return role != PersonRole.ENFANT


@pghistory.track(model_name="PersonHistory")
class Person(OrganisationOwned):
    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="persons")
    last_name = models.CharField("nom", max_length=150)
    first_name = models.CharField("prénom", max_length=150)
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("date de naissance")
    role = models.CharField("rôle dans le ménage", max_length=10, choices=PersonRole.choices)
    nationality = CountryField("nationalité", blank=True)
    protection_status = models.CharField(
        "statut", max_length=30, choices=ProtectionStatus.choices, blank=True
    )
    joined_date = models.DateField(
        "arrivée dans le ménage",
        null=True,
        blank=True,
        help_text="Vide : la date d’entrée du ménage.",
    )
    left_date = models.DateField(
        "départ du ménage",
        null=True,
        blank=True,
        help_text="Premier jour d’absence ; vide : la date de sortie du ménage.",
    )
    # "first last", lower-case without accents, kept by save(): search ignores accents and
    # case without the unaccent extension (absent from the embedded PostgreSQL).
    search_name = models.CharField(max_length=310, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationScopedManager.from_queryset(PersonQuerySet)()
    all_organisations = models.Manager.from_queryset(PersonQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "personne"
        ordering = ["birth_date", "pk"]
        constraints = [
            public_id_unique("person"),
            models.UniqueConstraint(
                fields=["organisation", "ref"],
                condition=~Q(ref=""),
                name="person_ref_unique",
            ),
            choice_constraint("sex", Sex),
            choice_constraint("role", PersonRole),
            choice_constraint("protection_status", ProtectionStatus, blank=True),
            models.CheckConstraint(
                condition=Q(left_date__isnull=True)
                | Q(joined_date__isnull=True)
                | Q(left_date__gte=F("joined_date")),
                name="person_left_after_joined",
                violation_error_message="Le départ ne peut pas précéder l’arrivée.",
            ),
            models.CheckConstraint(
                condition=Q(joined_date__isnull=True) | Q(joined_date__gte=F("birth_date")),
                name="person_joined_after_birth",
                violation_error_message="L’arrivée ne peut pas précéder la naissance.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "household"],
                condition=Q(role=PersonRole.REFERENT),
                name="person_one_referent_per_household",
                violation_error_message="Le ménage a déjà une personne de référence.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        self.search_name = fold(f"{self.first_name} {self.last_name}")
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    @property
    def is_adult_role(self) -> bool:
        return is_adult_role(self.role)

    def age_at(self, day: datetime.date) -> int:
        """Completed years (born 29 February: the year completes on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@pghistory.track(model_name="ResourceRecordHistory")
class ResourceRecord(OrganisationOwned):
    """The household's resources from ``date`` on (the report reads them at a date)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="resource_records"
    )
    date = models.DateField("date")
    resources = ArrayField(
        models.CharField(max_length=30, choices=Resource.choices), verbose_name="ressources"
    )
    # Optional monthly amounts in euros of some of ``resources`` ({code: "612.50"}): what a
    # budget diagnosis needs; the report counts the resources, never the amounts.
    monthly_amounts = models.JSONField("montants mensuels", default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "ressources"
        ordering = ["-date", "-pk"]
        constraints = [
            public_id_unique("resourcerecord"),
            array_choice_constraint("resources", Resource),
            models.CheckConstraint(
                condition=Q(resources__len__gte=1),
                name="resourcerecord_not_empty",
                violation_error_message="Indiquez au moins une ressource (ou « sans ressources »).",
            ),
            models.CheckConstraint(
                condition=~Q(resources__contains=[Resource.AUCUNE]) | Q(resources__len=1),
                name="resourcerecord_none_alone",
                violation_error_message="« Sans ressources » ne se combine avec aucune autre.",
            ),
        ]


@pghistory.track(model_name="EmploymentRecordHistory")
class EmploymentRecord(OrganisationOwned):
    """An adult's employment situation from ``date`` on."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employment_records")
    date = models.DateField("date")
    employment = models.CharField("situation", max_length=20, choices=Employment.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "situation d’emploi"
        ordering = ["-date", "-pk"]
        constraints = [
            public_id_unique("employmentrecord"),
            choice_constraint("employment", Employment),
        ]


class EventKind(models.TextChoices):
    ORIENTED = "oriented", "Orientation SIAO"
    UPDATED = "updated", "Informations modifiées"
    WITHDRAWN = "withdrawn", "Retrait de la liste d’attente"
    ADMITTED = "admitted", "Entrée dans le logement"
    PERSON_ADDED = "person_added", "Personne ajoutée à la composition"
    PERSON_JOINED = "person_joined", "Arrivée d’une personne"
    PERSON_LEFT = "person_left", "Départ d’une personne"
    RESOURCES = "resources", "Ressources mises à jour"
    EMPLOYMENT = "employment", "Situation d’emploi mise à jour"
    EXITED = "exited", "Sortie du dispositif"
    EXIT_CANCELLED = "exit_cancelled", "Sortie annulée"
    EXIT_PLANNED = "exit_planned", "Sortie prévue"
    WITHDRAWAL_CANCELLED = "withdrawal_cancelled", "Retrait annulé"
    ADMISSION_CANCELLED = "admission_cancelled", "Entrée annulée"


class HouseholdEvent(OrganisationOwned):
    """The trace of each state change: what, on which date, recorded by whom and when."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    date = models.DateField("date de l’événement")
    summary = models.CharField(max_length=300)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "événement"
        ordering = ["-date", "-recorded_at", "-pk"]
        constraints = [
            public_id_unique("householdevent"),
            choice_constraint("kind", EventKind),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}"
