"""Social support: support contracts and their objectives and amendments, interactions (visits,
appointments, calls…), collective workshops, partners and referrals.

Interaction notes are confidential: social workers and heads read them, régisseurs never
(see ``support.permissions``), and no export to the funder carries them.
"""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from households.stays import TermQuerySet
from iml.codes import (
    InteractionType,
    SupportDomain,
    array_choice_constraint,
    choice_constraint,
)
from iml.scoping import (
    OrganisationOwned,
    OrganisationScopedManager,
    OrganisationScopedQuerySet,
    public_id_unique,
)

USER = settings.AUTH_USER_MODEL


def domains_field(verbose_name: str = "domaines", **kwargs) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=20, choices=SupportDomain.choices),
        verbose_name=verbose_name,
        default=list,
        **kwargs,
    )


# --- Support contracts ----------------------------------------------------------------------


@pghistory.track(model_name="SupportContractHistory")
class SupportContract(OrganisationOwned):
    """The contrat d'accompagnement individualisé: signed in the household's first month,
    for six months, renewed by amendments (6 → 12 → 18 months; beyond, justified)."""

    objects = OrganisationScopedManager.from_queryset(TermQuerySet)()

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="support_contracts"
    )
    signed_on = models.DateField("signé le")
    initial_end_date = models.DateField("fin de la période initiale")
    # Empty in imported history when no referent was recorded; ``referent_email`` keeps, as
    # written, the e-mail of a referent who is no active member (``support.staff``).
    referent = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="référent·e",
        null=True,
        blank=True,
    )
    referent_email = models.CharField("référent·e hors équipe (e-mail)", max_length=254, blank=True)
    notes = models.TextField("observations", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "contrat d’accompagnement"
        ordering = ["-signed_on", "-pk"]
        constraints = [
            public_id_unique("supportcontract"),
            models.UniqueConstraint(
                fields=["organisation", "ref"],
                condition=~Q(ref=""),
                name="supportcontract_ref_unique",
            ),
            # One contract per stay: it is renewed by amendments, not replaced.
            models.UniqueConstraint(
                fields=["organisation", "household"],
                name="supportcontract_one_per_household",
                violation_error_message="Ce ménage a déjà un contrat d’accompagnement : "
                "renouvelez-le par avenant.",
            ),
            models.CheckConstraint(
                condition=Q(initial_end_date__gt=F("signed_on")),
                name="supportcontract_end_after_start",
                violation_error_message="La fin de la période initiale doit suivre la signature.",
            ),
            models.CheckConstraint(
                condition=Q(referent__isnull=True) | Q(referent_email=""),
                name="supportcontract_one_referent",
            ),
        ]

    def __str__(self) -> str:
        return f"Contrat d’accompagnement du {self.signed_on:%d/%m/%Y}"

    @property
    def referent_label(self) -> str:
        """The referent as pages and documents show it."""
        if self.referent is not None:
            return self.referent.get_full_name() or self.referent.email
        if self.referent_email:
            return f"{self.referent_email} (hors équipe)"
        return "non renseigné·e"

    def get_absolute_url(self) -> str:
        return reverse("support:contract_detail", args=[self.public_id])


class ObjectiveStatus(models.TextChoices):
    EN_COURS = "en_cours", "en cours"
    ATTEINT = "atteint", "atteint"
    ABANDONNE = "abandonne", "abandonné"


@pghistory.track(model_name="SupportObjectiveHistory")
class SupportObjective(OrganisationOwned):
    contract = models.ForeignKey(
        SupportContract, on_delete=models.CASCADE, related_name="objectives"
    )
    domain = models.CharField("domaine", max_length=20, choices=SupportDomain.choices)
    text = models.CharField("objectif", max_length=300)
    status = models.CharField(
        "état", max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.EN_COURS
    )
    start_date = models.DateField("fixé le")
    closed_on = models.DateField("atteint ou abandonné le", null=True, blank=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "objectif"
        ordering = ["contract", "start_date", "pk"]
        constraints = [
            public_id_unique("supportobjective"),
            choice_constraint("domain", SupportDomain),
            choice_constraint("status", ObjectiveStatus),
            models.CheckConstraint(
                condition=Q(status=ObjectiveStatus.EN_COURS, closed_on__isnull=True)
                | (~Q(status=ObjectiveStatus.EN_COURS) & Q(closed_on__isnull=False)),
                name="supportobjective_closed_date",
                violation_error_message="Un objectif atteint ou abandonné a une date de "
                "clôture, et lui seul.",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("start_date")),
                name="supportobjective_closed_after_start",
                violation_error_message="La clôture ne peut précéder la date de l’objectif.",
            ),
        ]

    def __str__(self) -> str:
        return self.text


@pghistory.track(model_name="SupportAmendmentHistory")
class SupportAmendment(OrganisationOwned):
    """Renewal of a support contract, six months by default; beyond 18 months of stay, a
    written justification is required and the amendment is flagged."""

    contract = models.ForeignKey(
        SupportContract, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField("numéro d’avenant")
    signed_on = models.DateField("signé le")
    new_end_date = models.DateField("nouvelle fin")
    beyond_limit = models.BooleanField("au-delà de 18 mois", default=False, editable=False)
    justification = models.TextField("justification", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "avenant au contrat d’accompagnement"
        ordering = ["contract", "number"]
        constraints = [
            public_id_unique("supportamendment"),
            models.UniqueConstraint(
                fields=["organisation", "contract", "number"],
                name="supportamendment_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(beyond_limit=False) | ~Q(justification=""),
                name="supportamendment_beyond_limit_justified",
                violation_error_message="Au-delà de 18 mois, une justification est obligatoire.",
            ),
        ]

    def __str__(self) -> str:
        return f"Avenant {self.number} au {self.contract}"


# --- Interactions ---------------------------------------------------------------------------


class InteractionQuerySet(OrganisationScopedQuerySet):
    def contacts(self) -> InteractionQuerySet:
        """Real contacts: a missed appointment is not one."""
        return self.exclude(kind=InteractionType.RDV_NON_HONORE)


@pghistory.track(model_name="InteractionHistory")
class Interaction(OrganisationOwned):
    """A visit, an appointment, a call, an accompaniment… or a missed appointment."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="interactions"
    )
    date = models.DateField("date")
    kind = models.CharField("type", max_length=30, choices=InteractionType.choices)
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", null=True, blank=True)
    domains = domains_field(blank=True)
    persons = models.ManyToManyField(
        "households.Person",
        blank=True,
        related_name="interactions",
        verbose_name="présents",
        through="InteractionPerson",
    )
    staff = models.ManyToManyField(
        USER, related_name="interactions", verbose_name="intervenants", through="InteractionStaff"
    )
    # E-mails of the people who took part and are no active member (imported history: a
    # colleague who has left, a team not yet invited), kept as written; moved to ``staff``
    # when the person joins the team (``support.staff``).
    staff_emails = ArrayField(
        models.CharField(max_length=254),
        verbose_name="intervenant·es hors équipe (e-mails)",
        default=list,
        blank=True,
    )
    notes = models.TextField("notes confidentielles", blank=True)
    next_appointment = models.DateTimeField("prochain rendez-vous", null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationScopedManager.from_queryset(InteractionQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "interaction"
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "household", "date"], name="interaction_hh_date"),
        ]
        constraints = [
            public_id_unique("interaction"),
            choice_constraint("kind", InteractionType),
            array_choice_constraint("domains", SupportDomain),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60),
                name="interaction_duration_within_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"


def _link(name: str, left: str, right: str, label: str) -> type[OrganisationOwned]:
    """A many-to-many link row that carries its organisation, like every operator row (row-level
    security, and a key that distributes with the organisation)."""

    class Meta(OrganisationOwned.Meta):
        verbose_name = label
        constraints = [
            public_id_unique(name.lower()),
            models.UniqueConstraint(
                fields=["organisation", left, right], name=f"{name.lower()}_unique"
            ),
        ]

    targets = {
        "interaction": "support.Interaction",
        "workshop": "support.Workshop",
        "person": "households.Person",
        "user": USER,
    }
    attrs = {
        "__module__": __name__,
        "Meta": Meta,
        left: models.ForeignKey(targets[left], on_delete=models.CASCADE, related_name="+"),
        right: models.ForeignKey(targets[right], on_delete=models.CASCADE, related_name="+"),
    }
    return type(name, (OrganisationOwned,), attrs)


InteractionPerson = _link("InteractionPerson", "interaction", "person", "personne présente")
InteractionStaff = _link("InteractionStaff", "interaction", "user", "intervenant")


# --- Workshops ------------------------------------------------------------------------------


class Workshop(OrganisationOwned):
    """An atelier collectif: persons of any households of the organisation take part."""

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    date = models.DateField("date")
    title = models.CharField("titre", max_length=200)
    theme = models.CharField("thème", max_length=20, choices=SupportDomain.choices)
    description = models.TextField("contenu", blank=True)
    facilitators = models.ManyToManyField(
        USER, related_name="workshops", verbose_name="animé par", through="WorkshopFacilitator"
    )
    participants = models.ManyToManyField(
        "households.Person",
        blank=True,
        related_name="workshops",
        verbose_name="participants",
        through="WorkshopParticipant",
    )
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "atelier collectif"
        verbose_name_plural = "ateliers collectifs"
        ordering = ["-date", "-pk"]
        constraints = [
            public_id_unique("workshop"),
            choice_constraint("theme", SupportDomain),
            models.UniqueConstraint(
                fields=["organisation", "ref"],
                condition=~Q(ref=""),
                name="workshop_ref_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d/%m/%Y})"


WorkshopFacilitator = _link("WorkshopFacilitator", "workshop", "user", "animateur")
WorkshopParticipant = _link("WorkshopParticipant", "workshop", "person", "participant")


# --- Partners and referrals -----------------------------------------------------------------


class PartnerKind(models.TextChoices):
    CAF = "caf", "CAF"
    CPAM = "cpam", "CPAM, assurance maladie"
    FRANCE_TRAVAIL = "france_travail", "France Travail, mission locale"
    AGIR = "agir", "AGIR"
    PMI = "pmi", "PMI"
    CCAS = "ccas", "CCAS, mairie"
    MDS = "mds", "maison départementale des solidarités"
    ECOLE = "ecole", "école, établissement scolaire"
    BAILLEUR = "bailleur", "bailleur"
    PREFECTURE = "prefecture", "préfecture, OFII, OFPRA"
    SANTE = "sante", "santé (hôpital, médecin, CMP…)"
    FORMATION = "formation", "formation, cours de français"
    ASSOCIATION = "association", "association"
    AUTRE = "autre", "autre"


class Partner(OrganisationOwned):
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=20, choices=PartnerKind.choices)
    contact_name = models.CharField("contact", max_length=200, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    address = models.CharField("adresse", max_length=300, blank=True)
    notes = models.TextField("observations", blank=True)
    is_active = models.BooleanField("actif", default=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "partenaire"
        ordering = ["name"]
        constraints = [
            public_id_unique("partner"),
            choice_constraint("kind", PartnerKind),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="partner_name_unique",
                violation_error_message="Un partenaire porte déjà ce nom.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralOutcome(models.TextChoices):
    EN_ATTENTE = "en_attente", "en attente"
    ABOUTIE = "aboutie", "aboutie"
    SANS_SUITE = "sans_suite", "sans suite"


@pghistory.track(model_name="ReferralHistory")
class Referral(OrganisationOwned):
    """A household referred to a partner: why, and what came of it."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="referrals"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="referrals", verbose_name="partenaire"
    )
    date = models.DateField("date")
    reason = models.CharField("motif", max_length=300)
    domain = models.CharField("domaine", max_length=20, choices=SupportDomain.choices)
    outcome = models.CharField(
        "suite", max_length=12, choices=ReferralOutcome.choices, default=ReferralOutcome.EN_ATTENTE
    )
    outcome_date = models.DateField("date de la suite", null=True, blank=True)
    outcome_notes = models.CharField("précisions", max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "orientation vers un partenaire"
        verbose_name_plural = "orientations vers des partenaires"
        ordering = ["-date", "-pk"]
        constraints = [
            public_id_unique("referral"),
            choice_constraint("domain", SupportDomain),
            choice_constraint("outcome", ReferralOutcome),
            models.CheckConstraint(
                condition=Q(outcome=ReferralOutcome.EN_ATTENTE, outcome_date__isnull=True)
                | (~Q(outcome=ReferralOutcome.EN_ATTENTE) & Q(outcome_date__isnull=False)),
                name="referral_outcome_dated",
                violation_error_message="Une suite (aboutie ou sans suite) a une date, et "
                "seulement elle.",
            ),
            models.CheckConstraint(
                condition=Q(outcome_date__isnull=True) | Q(outcome_date__gte=F("date")),
                name="referral_outcome_after_date",
                violation_error_message="La suite ne peut précéder l’orientation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.date:%d/%m/%Y}"


class CalendarFeed(OrganisationOwned):
    """A member's private calendar link (ICS) of their appointments in the organisation: a
    secret key in a signed link, no login; revoked by deleting it (a new link has a new key)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="calendar_feeds")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "lien d’agenda"
        constraints = [
            public_id_unique("calendarfeed"),
            models.UniqueConstraint(fields=["organisation", "user"], name="calendarfeed_one"),
            models.UniqueConstraint(fields=["organisation", "key"], name="calendarfeed_key_unique"),
        ]

    def __str__(self) -> str:
        return f"Agenda de {self.user}"
