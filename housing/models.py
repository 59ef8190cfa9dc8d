"""Housing stock: landlords, units, rooms of shared flats, main leases, captation pipeline.

Dates follow the annual report's convention: a "to" date (return date, end of a lease) is the
first day out. A unit is in stock at D when ``captation_date <= D`` and (no return, or
``return_date > D``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from iml.codes import (
    AnahConvention,
    ManagementMode,
    Parc,
    Typology,
    UnitReturnReason,
    choice_constraint,
)
from iml.scoping import (
    OrganisationOwned,
    OrganisationScopedManager,
    OrganisationScopedQuerySet,
    public_id_unique,
)

POSTCODE_REGEX = r"^[0-9]{5}$"
validate_postcode = RegexValidator(POSTCODE_REGEX, "Le code postal compte 5 chiffres.")


def money_field(verbose_name: str, **kwargs) -> models.DecimalField:
    """Euros with cents, never negative (the database checks it too)."""
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0, "Un montant ne peut pas être négatif.")],
        **kwargs,
    )


class DateRange(Func):
    """``daterange(start, end, '[)')``: the end is the first day out; NULL is unbounded."""

    function = "DATERANGE"
    output_field = DateRangeField()


class Int8Range(Func):
    function = "INT8RANGE"
    output_field = BigIntegerRangeField()


def same_value(field: str) -> tuple[Func, str]:
    """Equality on ``field`` inside a GiST exclusion constraint, without ``btree_gist``.

    The one-value ranges ``[v, v]`` of two rows overlap exactly when the values are equal;
    range overlap is native to GiST, whereas ``=`` on integers needs the ``btree_gist``
    extension, which the embedded development PostgreSQL does not ship.
    """
    return (Int8Range(F(field), F(field), Value("[]")), RangeOperators.OVERLAPS)


# --- Landlords ------------------------------------------------------------------------------


class LandlordKind(models.TextChoices):
    PRIVE = "prive", "propriétaire privé"
    SOCIAL = "social", "bailleur social"


# The parc of a unit follows from its landlord's kind.
PARC_OF_LANDLORD_KIND: dict[str, str] = {
    LandlordKind.PRIVE: Parc.PRIVE,
    LandlordKind.SOCIAL: Parc.PUBLIC,
}


class Landlord(OrganisationOwned):
    """A private owner or a social landlord (OPAC, Habellis…) the operator rents from."""

    kind = models.CharField("type", max_length=10, choices=LandlordKind.choices)
    name = models.CharField(
        "nom",
        max_length=200,
        help_text="Nom du propriétaire ou raison sociale du bailleur (ex. OPAC Saône-et-Loire).",
    )
    contact_name = models.CharField("interlocuteur", max_length=200, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    address = models.CharField("adresse postale", max_length=255, blank=True)
    notes = models.TextField("notes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "bailleur"
        ordering = ["name"]
        constraints = [
            public_id_unique("landlord"),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="landlord_name_unique",
                violation_error_message="Un bailleur de l’organisation porte déjà ce nom.",
            ),
            choice_constraint("kind", LandlordKind),
            models.CheckConstraint(condition=~Q(name=""), name="landlord_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


# --- Housing units --------------------------------------------------------------------------


class EnergyClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    E = "E", "E"
    F = "F", "F"
    G = "G", "G"


class HousingUnitQuerySet(OrganisationScopedQuerySet):
    def in_stock(self, at: datetime.date) -> HousingUnitQuerySet:
        """Units in stock at ``at``: captured on or before it, not returned by then."""
        return self.filter(captation_date__lte=at).filter(
            Q(return_date__isnull=True) | Q(return_date__gt=at)
        )

    def returned(self, at: datetime.date) -> HousingUnitQuerySet:
        """Units given back to their landlord on or before ``at``."""
        return self.filter(return_date__lte=at)


class HousingUnit(OrganisationOwned):
    """A flat or house of the stock, whole or split into rooms (colocation).

    ``landlord``, ``management_mode``, ``rent`` and ``charges`` are the current terms; the
    main leases keep the signed ones (recording a main lease updates these, and a yearly rent
    revision updates ``rent`` without a new lease).
    """

    dispositif = models.ForeignKey(
        "iml.Dispositif", on_delete=models.PROTECT, related_name="units", verbose_name="dispositif"
    )
    reference = models.CharField(
        "référence",
        max_length=50,
        help_text="Votre identifiant du logement, unique dans l’organisation (ex. AM-012).",
    )
    address = models.CharField("adresse", max_length=255)
    postcode = models.CharField("code postal", max_length=5, validators=[validate_postcode])
    city = models.CharField("commune", max_length=100)
    sector = models.CharField(
        "secteur", max_length=100, blank=True, help_text="Ex. Grand Amiénois, Picardie Maritime."
    )
    typology = models.CharField("typologie", max_length=2, choices=Typology.choices)
    places = models.PositiveSmallIntegerField("places", validators=[MinValueValidator(1)])
    colocation = models.BooleanField(
        "colocation", default=False, help_text="Logement partagé, loué chambre par chambre."
    )
    parc = models.CharField("parc", max_length=10, choices=Parc.choices)
    management_mode = models.CharField(
        "mode de gestion", max_length=20, choices=ManagementMode.choices
    )
    anah_convention = models.CharField(
        "conventionnement ANAH",
        max_length=20,
        choices=AnahConvention.choices,
        blank=True,
        help_text="Laisser vide si l’information n’est pas connue.",
    )
    energy_class = models.CharField(
        "classe énergétique (DPE)", max_length=1, choices=EnergyClass.choices, blank=True
    )
    landlord = models.ForeignKey(
        Landlord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name="bailleur",
    )
    rent = money_field("loyer mensuel dû au bailleur", null=True, blank=True)
    charges = money_field("charges mensuelles dues au bailleur", null=True, blank=True)
    captation_date = models.DateField(
        "date de captation", help_text="Premier jour où le logement compte dans le parc."
    )
    return_date = models.DateField(
        "date de restitution",
        null=True,
        blank=True,
        help_text="Premier jour où le logement ne compte plus dans le parc.",
    )
    return_reason = models.CharField(
        "motif de restitution", max_length=30, choices=UnitReturnReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationScopedManager.from_queryset(HousingUnitQuerySet)()
    all_organisations = models.Manager.from_queryset(HousingUnitQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "logement"
        ordering = ["reference"]
        constraints = [
            public_id_unique("housingunit"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="housingunit_reference_unique",
                violation_error_message="Un logement de l’organisation porte déjà cette référence.",
            ),
            models.CheckConstraint(
                condition=~Q(reference=""), name="housingunit_reference_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(postcode__regex=POSTCODE_REGEX), name="housingunit_postcode_format"
            ),
            models.CheckConstraint(condition=Q(places__gt=0), name="housingunit_places_positive"),
            models.CheckConstraint(
                condition=Q(rent__isnull=True) | Q(rent__gte=0), name="housingunit_rent_positive"
            ),
            models.CheckConstraint(
                condition=Q(charges__isnull=True) | Q(charges__gte=0),
                name="housingunit_charges_positive",
            ),
            models.CheckConstraint(
                condition=(Q(return_date__isnull=True) & Q(return_reason=""))
                | (Q(return_date__isnull=False) & ~Q(return_reason="")),
                name="housingunit_return_date_and_reason_together",
                violation_error_message="La date et le motif de restitution vont ensemble.",
            ),
            models.CheckConstraint(
                condition=Q(return_date__isnull=True) | Q(return_date__gte=F("captation_date")),
                name="housingunit_return_after_captation",
                violation_error_message="La restitution ne peut pas précéder la captation.",
            ),
            choice_constraint("typology", Typology),
            choice_constraint("parc", Parc),
            choice_constraint("management_mode", ManagementMode),
            choice_constraint("anah_convention", AnahConvention, blank=True),
            choice_constraint("energy_class", EnergyClass, blank=True),
            choice_constraint("return_reason", UnitReturnReason, blank=True),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.address}, {self.city}"

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.postcode} {self.city}"

    @property
    def is_returned(self) -> bool:
        return self.return_date is not None

    def in_stock_at(self, at: datetime.date) -> bool:
        return self.captation_date <= at and (self.return_date is None or self.return_date > at)


class Room(OrganisationOwned):
    """A room of a shared flat (colocation), let to one household."""

    unit = models.ForeignKey(
        HousingUnit, on_delete=models.CASCADE, related_name="rooms", verbose_name="logement"
    )
    reference = models.CharField(
        "référence",
        max_length=60,
        help_text="Unique dans l’organisation. Laissée vide, elle est déduite du logement.",
    )
    label = models.CharField("nom de la chambre", max_length=50, help_text="Ex. Chambre 1.")
    places = models.PositiveSmallIntegerField(
        "places", default=1, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "chambre"
        ordering = ["label"]
        constraints = [
            public_id_unique("room"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="room_reference_unique",
                violation_error_message="Une chambre de l’organisation porte déjà cette référence.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "unit", "label"],
                name="room_label_unique_in_unit",
                violation_error_message="Ce logement a déjà une chambre de ce nom.",
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="room_reference_not_empty"),
            models.CheckConstraint(condition=~Q(label=""), name="room_label_not_empty"),
            models.CheckConstraint(condition=Q(places__gt=0), name="room_places_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.reference})"


# --- Main leases ----------------------------------------------------------------------------


class LeaseGuarantee(models.TextChoices):
    VISALE = "visale", "Visale (Action Logement)"
    GLI = "gli", "assurance loyers impayés (GLI)"
    FSL = "fsl", "garantie FSL"
    CAUTION = "caution", "caution solidaire"
    AUTRE = "autre", "autre garantie"


class MainLease(OrganisationOwned):
    """The operator's lease (bail principal) or management mandate with the landlord."""

    unit = models.ForeignKey(
        HousingUnit, on_delete=models.CASCADE, related_name="leases", verbose_name="logement"
    )
    landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, related_name="leases", verbose_name="bailleur"
    )
    management_mode = models.CharField(
        "mode de gestion", max_length=20, choices=ManagementMode.choices
    )
    start_date = models.DateField("date de prise d’effet")
    end_date = models.DateField(
        "date de fin",
        null=True,
        blank=True,
        help_text="Premier jour hors bail ; vide tant que le bail court.",
    )
    rent = money_field("loyer mensuel")
    charges = money_field("charges mensuelles", default=0)
    deposit = money_field("dépôt de garantie", null=True, blank=True)
    guarantee = models.CharField(
        "garantie", max_length=20, choices=LeaseGuarantee.choices, blank=True
    )
    guarantee_reference = models.CharField(
        "référence de la garantie",
        max_length=100,
        blank=True,
        help_text="Ex. numéro de visa Visale.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "bail principal"
        verbose_name_plural = "baux principaux"
        ordering = ["-start_date"]
        constraints = [
            public_id_unique("mainlease"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="mainlease_end_after_start",
                violation_error_message="La fin du bail ne peut pas précéder son début.",
            ),
            models.CheckConstraint(condition=Q(rent__gte=0), name="mainlease_rent_positive"),
            models.CheckConstraint(condition=Q(charges__gte=0), name="mainlease_charges_positive"),
            models.CheckConstraint(
                condition=Q(deposit__isnull=True) | Q(deposit__gte=0),
                name="mainlease_deposit_positive",
            ),
            choice_constraint("management_mode", ManagementMode),
            choice_constraint("guarantee", LeaseGuarantee, blank=True),
            ExclusionConstraint(
                name="mainlease_no_overlap",
                expressions=[
                    same_value("organisation"),
                    same_value("unit"),
                    (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
                violation_error_message="Un autre bail principal de ce logement couvre déjà "
                "une partie de ces dates.",
            ),
        ]

    def __str__(self) -> str:
        return f"Bail {self.unit.reference} du {self.start_date:%d/%m/%Y}"

    def clean(self) -> None:
        super().clean()
        # Before the constraints: the overlap check cannot build a reversed date range.
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "La fin du bail ne peut pas précéder son début."})


# --- Captation pipeline ---------------------------------------------------------------------


class ProspectStatus(models.TextChoices):
    CONTACT = "contact", "premier contact"
    VISITE = "visite", "visite"
    NEGOCIATION = "negociation", "négociation"
    CAPTE = "capte", "capté"
    ABANDONNE = "abandonne", "abandonné"


# The pipeline: each open status and where it may go. Capture (→ capte) creates the unit and
# its lease and only happens through ``services.prospect_capture``.
PROSPECT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProspectStatus.CONTACT: (ProspectStatus.VISITE, ProspectStatus.ABANDONNE),
    ProspectStatus.VISITE: (ProspectStatus.NEGOCIATION, ProspectStatus.ABANDONNE),
    ProspectStatus.NEGOCIATION: (ProspectStatus.CAPTE, ProspectStatus.ABANDONNE),
    ProspectStatus.CAPTE: (),
    ProspectStatus.ABANDONNE: (),
}
OPEN_PROSPECT_STATUSES = (
    ProspectStatus.CONTACT,
    ProspectStatus.VISITE,
    ProspectStatus.NEGOCIATION,
)


class Prospect(OrganisationOwned):
    """A flat being prospected, from the first contact with its landlord to its captation."""

    landlord = models.ForeignKey(
        Landlord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prospects",
        verbose_name="bailleur connu",
    )
    landlord_name = models.CharField(
        "nom du bailleur",
        max_length=200,
        blank=True,
        help_text="Si le bailleur n’est pas encore enregistré : il le sera à la captation.",
    )
    landlord_kind = models.CharField(
        "type de bailleur",
        max_length=10,
        choices=LandlordKind.choices,
        default=LandlordKind.PRIVE,
    )
    contact = models.CharField(
        "coordonnées", max_length=200, blank=True, help_text="Téléphone, e-mail, agence…"
    )
    address = models.CharField("adresse", max_length=255)
    postcode = models.CharField("code postal", max_length=5, validators=[validate_postcode])
    city = models.CharField("commune", max_length=100)
    typology = models.CharField("typologie", max_length=2, choices=Typology.choices)
    rent_asked = money_field("loyer demandé", null=True, blank=True)
    status = models.CharField(
        "étape", max_length=20, choices=ProspectStatus.choices, default=ProspectStatus.CONTACT
    )
    next_step = models.CharField("prochaine étape", max_length=200, blank=True)
    next_step_date = models.DateField("date de la prochaine étape", null=True, blank=True)
    notes = models.TextField("notes", blank=True)
    unit = models.ForeignKey(
        HousingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prospects",
        verbose_name="logement capté",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "prospection"
        ordering = ["next_step_date", "created_at"]
        constraints = [
            public_id_unique("prospect"),
            models.UniqueConstraint(fields=["organisation", "unit"], name="prospect_unit_unique"),
            models.CheckConstraint(
                condition=Q(landlord__isnull=False) | ~Q(landlord_name=""),
                name="prospect_has_landlord",
                violation_error_message="Choisissez un bailleur ou indiquez son nom.",
            ),
            models.CheckConstraint(
                condition=(Q(status=ProspectStatus.CAPTE) & Q(unit__isnull=False))
                | (~Q(status=ProspectStatus.CAPTE) & Q(unit__isnull=True)),
                name="prospect_captured_has_unit",
            ),
            models.CheckConstraint(
                condition=Q(postcode__regex=POSTCODE_REGEX), name="prospect_postcode_format"
            ),
            models.CheckConstraint(
                condition=Q(rent_asked__isnull=True) | Q(rent_asked__gte=0),
                name="prospect_rent_asked_positive",
            ),
            choice_constraint("status", ProspectStatus),
            choice_constraint("typology", Typology),
            choice_constraint("landlord_kind", LandlordKind),
        ]

    def __str__(self) -> str:
        return f"{self.address}, {self.city}"

    def clean(self) -> None:
        super().clean()
        if self.landlord_id is None and not self.landlord_name.strip():
            raise ValidationError(
                {"landlord_name": "Choisissez un bailleur enregistré ou indiquez son nom."}
            )

    @property
    def landlord_display(self) -> str:
        return self.landlord.name if self.landlord_id else self.landlord_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROSPECT_STATUSES

    @property
    def next_statuses(self) -> tuple[str, ...]:
        """Where the pipeline buttons may move it (capture excluded: it has its own form)."""
        return tuple(s for s in PROSPECT_TRANSITIONS[self.status] if s != ProspectStatus.CAPTE)

    @property
    def can_be_captured(self) -> bool:
        return ProspectStatus.CAPTE in PROSPECT_TRANSITIONS[self.status]


class ProspectTransition(OrganisationOwned):
    """Trace of each step of a prospect: who moved it, from where, to where, when."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ProspectStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ProspectStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(OrganisationOwned.Meta):
        verbose_name = "étape de prospection"
        ordering = ["at", "pk"]
        constraints = [
            public_id_unique("prospecttransition"),
            choice_constraint("from_status", ProspectStatus, blank=True),
            choice_constraint("to_status", ProspectStatus),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
