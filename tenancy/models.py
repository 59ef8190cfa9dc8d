"""Sublease contracts between the operator and a household (the ledger comes next)."""

from __future__ import annotations

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q, Value

from housing.models import DateRange, Int8Range, money_field, same_value
from iml.scoping import OrganisationOwned, public_id_unique


def occupied_span(room_field: str = "room") -> Int8Range:
    """What of its unit a contract occupies, as a range of room ids: ``[room, room]`` for a
    room, and, for the whole unit (no room: NULL bounds), every room, ``(-∞, +∞)``.

    Two contracts of one unit overlapping in time conflict exactly when these spans overlap:
    two different rooms never do, a room and the whole unit always do.
    """
    return Int8Range(F(room_field), F(room_field), Value("[]"))


@pghistory.track(model_name="SubleaseContractHistory")
class SubleaseContract(OrganisationOwned):
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="contracts"
    )
    unit = models.ForeignKey(
        "housing.HousingUnit", on_delete=models.PROTECT, related_name="contracts"
    )
    room = models.ForeignKey(
        "housing.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text="Vide : le logement entier.",
    )
    reference = models.CharField("numéro de contrat", max_length=30)
    start_date = models.DateField("début")
    initial_end_date = models.DateField("fin de la période initiale")
    actual_end_date = models.DateField(
        "fin effective", null=True, blank=True, help_text="Premier jour hors contrat."
    )
    rent = money_field("loyer mensuel")
    charges = money_field("charges mensuelles", default=0)
    deposit = money_field("dépôt de garantie", default=0)
    expected_housing_benefit = money_field("aide au logement attendue (CAF)", default=0)
    towards_sliding_lease = models.BooleanField("en vue d’un bail glissant", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "contrat de sous-location"
        ordering = ["-start_date", "-pk"]
        constraints = [
            public_id_unique("subleasecontract"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="subleasecontract_reference_unique",
                violation_error_message="Un contrat de l’organisation porte déjà ce numéro.",
            ),
            models.CheckConstraint(
                condition=Q(initial_end_date__gt=F("start_date")),
                name="subleasecontract_initial_end_after_start",
                violation_error_message="La fin de la période initiale doit suivre le début.",
            ),
            models.CheckConstraint(
                # Equal: a household leaving on its day of entry (an empty period).
                condition=Q(actual_end_date__isnull=True) | Q(actual_end_date__gte=F("start_date")),
                name="subleasecontract_end_after_start",
                violation_error_message="La fin du contrat ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(rent__gte=0, charges__gte=0, deposit__gte=0)
                & Q(expected_housing_benefit__gte=0),
                name="subleasecontract_amounts_not_negative",
            ),
            # No two contracts on the same space at the same time; a whole-unit contract
            # excludes every room contract of the unit (and the reverse). Enforced by
            # PostgreSQL, hence also between concurrent transactions.
            ExclusionConstraint(
                name="subleasecontract_no_overlap",
                expressions=[
                    same_value("unit"),
                    (occupied_span(), RangeOperators.OVERLAPS),
                    (
                        DateRange("start_date", "actual_end_date", Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message="Ce logement (ou cette chambre) est déjà sous-loué "
                "sur ces dates.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def covers(self, day: datetime.date) -> bool:
        return self.start_date <= day and (
            self.actual_end_date is None or day < self.actual_end_date
        )


@pghistory.track(model_name="AmendmentHistory")
class Amendment(OrganisationOwned):
    """An avenant: renews a contract, six months by default. A stay beyond 18 months (the
    2018 instruction's "six mois renouvelables au maximum deux fois") needs a written
    justification and is flagged."""

    contract = models.ForeignKey(
        SubleaseContract, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField("numéro d’avenant")
    signed_on = models.DateField("signé le")
    new_end_date = models.DateField("nouvelle fin")
    beyond_limit = models.BooleanField("au-delà de 18 mois", default=False, editable=False)
    justification = models.TextField("justification", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "avenant"
        ordering = ["contract", "number"]
        constraints = [
            public_id_unique("amendment"),
            models.UniqueConstraint(
                fields=["organisation", "contract", "number"], name="amendment_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(beyond_limit=False) | ~Q(justification=""),
                name="amendment_beyond_limit_justified",
                violation_error_message="Au-delà de 18 mois, une justification est obligatoire.",
            ),
        ]

    def __str__(self) -> str:
        return f"Avenant {self.number} au contrat {self.contract}"
