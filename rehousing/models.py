"""The road out: a household's social-housing demand, and the homes proposed to it.

A demand (« demande de logement social ») carries its numéro unique (NUR), its dates — it lapses
a year after its filing or last renewal —, what the household wishes and its priority
registrations (SYPLO, DALO, accord collectif, contingent préfectoral). A proposal is a home a
landlord offers: the attribution commission's (CAL) decision, the household's answer (and why
it refused), and, accepted, the exit it leads to (``rehousing.selectors.exit_prefill``).
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from housing.models import money_field
from iml.codes import (
    FOLLOW_UP_MONTHS,
    CalDecision,
    MeasureKind,
    Parc,
    ProposalAnswer,
    RefusalReason,
    Typology,
    array_choice_constraint,
    choice_constraint,
)
from iml.scoping import OrganisationOwned, public_id_unique

# A demand lapses if it is not renewed within a year of its filing or last renewal.
DEMAND_LIFETIME = relativedelta(years=1)

validate_nur = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z ]{8,28}[0-9A-Za-z]$",
    "Le numéro unique compte de 10 à 30 chiffres ou lettres (espaces permis), tel qu’il "
    "figure sur l’attestation d’enregistrement.",
)


class HousingDemand(OrganisationOwned):
    household = models.OneToOneField(
        "households.Household", on_delete=models.PROTECT, related_name="housing_demand",
        verbose_name="ménage",
    )  # fmt: skip
    number = models.CharField("numéro unique (NUR)", max_length=30, validators=[validate_nur])
    filed_on = models.DateField("déposée le")
    renewed_on = models.DateField("renouvelée le", null=True, blank=True)
    communes = models.CharField(
        "communes souhaitées", max_length=300, blank=True, help_text="Séparées par des virgules."
    )
    typologies = ArrayField(
        models.CharField(max_length=2, choices=Typology.choices),
        verbose_name="typologies souhaitées", default=list, blank=True,
    )  # fmt: skip
    syplo_on = models.DateField("inscrite au SYPLO le", null=True, blank=True)
    dalo_on = models.DateField("DALO reconnu le", null=True, blank=True)
    accord_collectif = models.BooleanField("accord collectif", default=False)
    contingent_prefectoral = models.BooleanField("contingent préfectoral", default=False)
    closed_on = models.DateField(
        "close le", null=True, blank=True,
        help_text="Demande satisfaite ou abandonnée ; vide tant qu’elle vit.",
    )  # fmt: skip
    note = models.CharField("note", max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "demande de logement social"
        constraints = [
            public_id_unique("housingdemand"),
            array_choice_constraint("typologies", Typology),
            models.CheckConstraint(
                condition=Q(renewed_on__isnull=True) | Q(renewed_on__gte=F("filed_on")),
                name="housingdemand_renewed_after_filed",
                violation_error_message="Le renouvellement ne peut pas précéder le dépôt.",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("filed_on")),
                name="housingdemand_closed_after_filed",
                violation_error_message="La clôture ne peut pas précéder le dépôt.",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def renewal_due(self) -> datetime.date:
        """The day it lapses unless renewed before."""
        return (self.renewed_on or self.filed_on) + DEMAND_LIFETIME

    def is_active(self, at: datetime.date) -> bool:
        return self.closed_on is None and self.filed_on <= at < self.renewal_due

    @property
    def typology_labels(self) -> list[str]:
        return [str(Typology(code).label) for code in self.typologies]

    @property
    def priorities(self) -> list[str]:
        labels = []
        if self.syplo_on:
            labels.append(f"SYPLO ({self.syplo_on:%d/%m/%Y})")
        if self.dalo_on:
            labels.append(f"DALO ({self.dalo_on:%d/%m/%Y})")
        if self.accord_collectif:
            labels.append("accord collectif")
        if self.contingent_prefectoral:
            labels.append("contingent préfectoral")
        return labels


class Proposal(OrganisationOwned):
    """A home offered to the household, and what became of it."""

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="proposals",
        verbose_name="ménage",
    )  # fmt: skip
    landlord = models.CharField("bailleur", max_length=150, help_text="Ex. OPAC, Habellis.")
    parc = models.CharField("parc", max_length=10, choices=Parc.choices, default=Parc.PUBLIC)
    address = models.CharField("adresse", max_length=255)
    city = models.CharField("commune", max_length=100)
    typology = models.CharField("typologie", max_length=2, choices=Typology.choices)
    rent = money_field("loyer charges comprises", null=True, blank=True)
    received_on = models.DateField("reçue le")
    cal_on = models.DateField("commission d’attribution (CAL) le", null=True, blank=True)
    cal_decision = models.CharField(
        "décision de la commission", max_length=20, choices=CalDecision.choices,
        default=CalDecision.EN_ATTENTE,
    )  # fmt: skip
    answer = models.CharField(
        "réponse du ménage", max_length=20, choices=ProposalAnswer.choices,
        default=ProposalAnswer.EN_ATTENTE,
    )  # fmt: skip
    answered_on = models.DateField("répondu le", null=True, blank=True)
    refusal_reason = models.CharField(
        "motif du refus", max_length=20, choices=RefusalReason.choices, blank=True
    )
    move_in_on = models.DateField(
        "entrée prévue le", null=True, blank=True, help_text="La date de sortie du dispositif."
    )
    note = models.CharField("note", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "proposition de logement"
        ordering = ["-received_on", "-pk"]
        constraints = [
            public_id_unique("proposal"),
            models.UniqueConstraint(
                fields=["organisation", "ref"], condition=~Q(ref=""), name="proposal_ref_unique"
            ),
            choice_constraint("parc", Parc),
            choice_constraint("typology", Typology),
            choice_constraint("cal_decision", CalDecision),
            choice_constraint("answer", ProposalAnswer),
            choice_constraint("refusal_reason", RefusalReason, blank=True),
            models.CheckConstraint(
                condition=Q(answer=ProposalAnswer.REFUSEE, refusal_reason__gt="")
                | (~Q(answer=ProposalAnswer.REFUSEE) & Q(refusal_reason="")),
                name="proposal_refusal_has_reason",
                violation_error_message="Un refus du ménage a un motif, et seul un refus en a.",
            ),
            models.CheckConstraint(
                condition=Q(answer=ProposalAnswer.EN_ATTENTE, answered_on__isnull=True)
                | (~Q(answer=ProposalAnswer.EN_ATTENTE) & Q(answered_on__isnull=False)),
                name="proposal_answer_dated",
                violation_error_message="Une réponse du ménage a une date.",
            ),
            models.CheckConstraint(
                condition=Q(cal_on__isnull=True) | Q(cal_on__gte=F("received_on")),
                name="proposal_cal_after_received",
                violation_error_message="La commission ne peut pas précéder la proposition.",
            ),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("received_on")),
                name="proposal_answer_after_received",
                violation_error_message="La réponse ne peut pas précéder la proposition.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_typology_display()} {self.landlord}, {self.city}"

    @property
    def accepted(self) -> bool:
        """Accepted by the household and attributed by the commission (a private landlord
        has none): the home the household leaves for."""
        attributed = self.cal_decision == CalDecision.ATTRIBUEE or self.parc == Parc.PRIVE
        return self.answer == ProposalAnswer.ACCEPTEE and attributed


class Measure(OrganisationOwned):
    """A support measure (AGIR, ASLL, AVDL, FSL…) during or after the stay, with who funds it,
    the partner that carries it, and the handover to the sector's social worker."""

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="measures",
        verbose_name="ménage",
    )  # fmt: skip
    kind = models.CharField("mesure", max_length=30, choices=MeasureKind.choices)
    funder = models.CharField("financeur", max_length=150, blank=True,
                              help_text="Ex. Conseil départemental, DDETS.")  # fmt: skip
    partner = models.ForeignKey(
        "support.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="partenaire qui la porte",
    )  # fmt: skip
    start_on = models.DateField("début")
    end_on = models.DateField("fin", null=True, blank=True)
    handover_on = models.DateField("passage de relais le", null=True, blank=True)
    handover_to = models.CharField(
        "relais pris par", max_length=150, blank=True,
        help_text="Le travailleur social de secteur, son service.",
    )  # fmt: skip
    note = models.CharField("note", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta(OrganisationOwned.Meta):
        verbose_name = "mesure d’accompagnement"
        ordering = ["-start_on", "-pk"]
        constraints = [
            public_id_unique("measure"),
            models.UniqueConstraint(
                fields=["organisation", "ref"], condition=~Q(ref=""), name="measure_ref_unique"
            ),
            choice_constraint("kind", MeasureKind),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="measure_end_after_start",
                violation_error_message="La fin ne peut pas précéder le début.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class FollowUp(OrganisationOwned):
    """A contact one, three or six months after the exit: does the home hold?"""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="follow_ups",
        verbose_name="ménage",
    )  # fmt: skip
    months = models.PositiveSmallIntegerField(
        "suivi à", choices=[(m, f"{m} mois") for m in FOLLOW_UP_MONTHS]
    )
    contacted_on = models.DateField("contact le")
    housed = models.BooleanField("toujours dans son logement", null=True, blank=True)
    debts = models.BooleanField("des dettes de loyer", null=True, blank=True)
    needs = models.CharField("besoins", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta(OrganisationOwned.Meta):
        verbose_name = "suivi après la sortie"
        ordering = ["months"]
        constraints = [
            public_id_unique("followup"),
            models.UniqueConstraint(
                fields=["household", "months"],
                name="followup_once_per_milestone",
                violation_error_message="Ce suivi est déjà enregistré.",
            ),
            models.CheckConstraint(
                condition=Q(months__in=list(FOLLOW_UP_MONTHS)), name="followup_months_valid"
            ),
        ]


class SlidePlan(OrganisationOwned):
    """« Glissement envisagé »: the stage before a sublease slides to the household (bail
    glissant), with its steps — the owner's consent, the attribution commission when the home is
    a social landlord's, the tripartite agreement, the inventory before the slide — and the
    plan kept three months (``rehousing.sliding``). The slide itself is
    ``tenancy.services.contract_slide``."""

    contract = models.OneToOneField(
        "tenancy.SubleaseContract", on_delete=models.PROTECT, related_name="slide_plan",
        verbose_name="contrat de sous-location",
    )  # fmt: skip
    considered_on = models.DateField("glissement envisagé depuis le")
    planned_on = models.DateField("glissement prévu vers le", null=True, blank=True)
    owner_consent_on = models.DateField("accord du propriétaire le", null=True, blank=True)
    cal_on = models.DateField("commission d’attribution (CAL) le", null=True, blank=True)
    cal_decision = models.CharField(
        "décision de la commission", max_length=20, choices=CalDecision.choices,
        default=CalDecision.EN_ATTENTE,
    )  # fmt: skip
    tripartite_on = models.DateField("convention tripartite signée le", null=True, blank=True)
    pre_exit_inventory_on = models.DateField(
        "état des lieux préalable au glissement le", null=True, blank=True
    )
    note = models.CharField("note", max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "glissement envisagé"
        constraints = [
            public_id_unique("slideplan"),
            choice_constraint("cal_decision", CalDecision),
            models.CheckConstraint(
                condition=Q(cal_decision=CalDecision.EN_ATTENTE) | Q(cal_on__isnull=False),
                name="slideplan_cal_decision_dated",
                violation_error_message="Une décision de la commission a une date.",
            ),
        ]

    def __str__(self) -> str:
        return f"glissement envisagé depuis le {self.considered_on:%d/%m/%Y}"
