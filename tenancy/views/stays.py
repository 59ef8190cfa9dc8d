"""Entry and exit of a household: the stay's two use cases that carry a sublease contract.
Admission takes a free space and signs the contract, both or neither; the exit ends the
running contracts with the stay (``tenancy.services``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from households.forms import AdmitForm, ExitForm
from households.models import EventKind
from households.selectors import exit_prefill, household_or_404
from households.services import household_plan_exit
from households.views import cancel_page
from iml.forms import submit_form
from iml.permissions import ADMISSION_ROLES, HOUSEHOLD_MANAGERS, member_required
from tenancy.services import (
    ContractTerms,
    admission_cancel,
    admit_with_contract,
    exit_cancel,
    exit_with_contracts,
)
from tenancy.spaces import find_free_space, free_spaces, suggested_terms


@member_required(ADMISSION_ROLES)
def household_admit(request: HttpRequest, household: str) -> HttpResponse:
    """Entry into a free space: the household is admitted and its sublease contract created,
    both or neither."""
    obj = household_or_404(household)
    today = timezone.localdate()
    spaces = free_spaces(at=today, dispositif=obj.dispositif)
    form = AdmitForm(request.POST or None, spaces=spaces, terms=suggested_terms(spaces))

    def admit(data: dict):
        # The space must (still) be free on the entry date, which may differ from today.
        space = find_free_space(key=data["space"], at=data["entry_date"],
                                dispositif=obj.dispositif)  # fmt: skip
        if space is None:
            raise ValidationError({"space": "Cet espace n’est pas libre à la date d’entrée."})
        terms = ContractTerms(
            rent=data["rent"],
            charges=data["charges"],
            deposit=data["deposit"],
            expected_housing_benefit=data["expected_housing_benefit"],
            towards_sliding_lease=data["towards_sliding_lease"],
        )
        return admit_with_contract(household=obj, unit=space.unit, room=space.room,
                                   entry_date=data["entry_date"], terms=terms,
                                   by=request.user,
                                   energy_confirmed=data["energy_confirmed"])  # fmt: skip

    return submit_form(
        request,
        form,
        admit,
        lambda contract: (
            f"Entrée du ménage {obj.reference} enregistrée ; contrat "
            f"{contract.reference} jusqu’au {contract.initial_end_date:%d/%m/%Y}."
        ),
        obj.get_absolute_url(),
        "tenancy/household_admit.html",
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Entrée du ménage {obj.reference}",
            "free_spaces": spaces,
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_exit(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    # Where the household goes, when an accepted proposal says it (``rehousing``).
    prefill = exit_prefill(obj) or {}

    def record(data: dict) -> object:
        if data["planned"]:
            return household_plan_exit(
                household=obj, planned_date=data["exit_date"], by=request.user
            )
        return exit_with_contracts(
            household=obj,
            exit_date=data["exit_date"],
            destination=data["destination"],
            bail_glissant=data["bail_glissant"],
            exit_support=data["exit_support"],
            by=request.user,
        )

    return submit_form(
        request,
        ExitForm(request.POST or None, initial=prefill.get("initial")),
        record,
        lambda household: (
            f"Sortie du ménage {obj.reference} prévue le "
            f"{household.planned_exit_date:%d/%m/%Y} : elle sera à enregistrer ce jour-là."
            if household.planned_exit_date
            else f"Sortie du ménage {obj.reference} enregistrée."
        ),
        obj.get_absolute_url(),
        "iml/form_page.html",
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Sortie du ménage {obj.reference}",
            "intro": prefill.get("note", ""),
            "submit_label": "Enregistrer la sortie",
            "confirm": f"Enregistrer la sortie du ménage {obj.reference} ? À une date passée ou "
            "aujourd’hui, ses contrats prennent fin ; à une date future, la sortie est prévue.",
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_exit_cancel(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    return cancel_page(
        request,
        obj,
        EventKind.EXITED,
        lambda reason: exit_cancel(household=obj, reason=reason, by=request.user),
        success=f"Sortie annulée : le ménage {obj.reference} est de nouveau présent.",
        title="Annuler la sortie",
        explanation=f"Le ménage {obj.reference} redevient présent : ses contrats terminés par "
        "la sortie reprennent et les loyers des mois écoulés depuis sont appelés. Impossible "
        "si le logement a été attribué ou rendu depuis. La sortie reste dans l’historique.",
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_admission_cancel(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    return cancel_page(
        request,
        obj,
        EventKind.ADMITTED,
        lambda reason: admission_cancel(household=obj, reason=reason, by=request.user),
        success=f"Entrée annulée : le ménage {obj.reference} est de nouveau en attente.",
        title="Annuler l’entrée",
        explanation=f"Le ménage {obj.reference} revient sur la liste d’attente. Son contrat est "
        "annulé : le logement est libéré depuis l’entrée, les loyers appelés sont annulés et "
        "rien n’est compté dans le rapport. Impossible si un paiement, un état des lieux, un "
        "avenant ou un plan d’apurement a été enregistré sur le contrat (le régisseur annule "
        "d’abord les paiements), ou si une personne est arrivée ou partie depuis. L’entrée "
        "reste dans l’historique.",
    )
