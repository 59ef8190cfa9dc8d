"""Demo support: the partners of each service, a support contract for every household that
entered (one signed late), renewed while the household stays; visits, office appointments,
calls and accompaniments every two to three weeks (some missed, a few joint visits with the
régisseur, next appointments ahead), one household left without contact for two months,
referrals to partners, and two collective workshops.

Idempotent: once the organisation has interactions, it adds nothing. The interaction history
is written with bulk inserts; contracts, referrals and workshops go through the services.
"""

from __future__ import annotations

import datetime
import random

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from households.models import Household
from households.stays import RENEWAL, beyond_limit
from households.stays import current_end as support_end
from iml.codes import InteractionType, PersonRole, SupportDomain
from support.contracts import support_contract_renew, support_contract_sign
from support.models import (
    Interaction,
    InteractionPerson,
    InteractionStaff,
    PartnerKind,
    ReferralOutcome,
)
from support.network import (
    participant_choices,
    partner_create,
    referral_close,
    referral_create,
    workshop_save,
)

PARTNERS = {
    "le-pont": [
        ("CAF de Saône-et-Loire", PartnerKind.CAF, "03 85 00 00 01"),
        ("CPAM de Saône-et-Loire", PartnerKind.CPAM, "36 46"),
        ("France Travail Chalon-sur-Saône", PartnerKind.FRANCE_TRAVAIL, "39 49"),
        ("Programme AGIR 71", PartnerKind.AGIR, "03 85 00 00 04"),
        ("Préfecture de Saône-et-Loire — service des étrangers", PartnerKind.PREFECTURE, ""),
        ("Centre de santé Chalon Nord", PartnerKind.SANTE, "03 85 00 00 06"),
        ("Alpha Chalon — cours de français", PartnerKind.FORMATION, "03 85 00 00 07"),
        ("CCAS de Chalon-sur-Saône", PartnerKind.CCAS, "03 85 00 00 08"),
    ],
    "apremis": [
        ("CAF de la Somme", PartnerKind.CAF, "03 22 00 00 01"),
        ("CPAM de la Somme", PartnerKind.CPAM, "36 46"),
        ("France Travail Amiens Nord", PartnerKind.FRANCE_TRAVAIL, "39 49"),
        ("PMI d’Amiens", PartnerKind.PMI, "03 22 00 00 04"),
        ("Maison départementale des solidarités d’Amiens", PartnerKind.MDS, "03 22 00 00 05"),
        ("École élémentaire Édouard-Herriot", PartnerKind.ECOLE, "03 22 00 00 06"),
        ("Programme AGIR 80", PartnerKind.AGIR, "03 22 00 00 07"),
        ("CCAS d’Amiens", PartnerKind.CCAS, "03 22 00 00 08"),
    ],
}

OBJECTIVES = [
    (SupportDomain.ADMINISTRATIF, "Ouvrir et maintenir les droits CAF et CPAM"),
    (SupportDomain.BUDGET, "Tenir un budget mensuel et payer le loyer résiduel"),
    (SupportDomain.LOGEMENT, "Déposer une demande de logement social et préparer le relogement"),
    (SupportDomain.EMPLOI, "S’inscrire à France Travail et construire un projet professionnel"),
    (SupportDomain.LANGUE, "Suivre des cours de français (niveau A2 visé)"),
    (SupportDomain.TITRE_SEJOUR, "Obtenir le renouvellement du titre de séjour"),
    (SupportDomain.SANTE, "Trouver un médecin traitant"),
]
KINDS = [InteractionType.VISITE_DOMICILE] * 5 + [InteractionType.RDV_BUREAU] * 4
KINDS += [InteractionType.TELEPHONE] * 3 + [InteractionType.ACCOMPAGNEMENT_EXTERIEUR] * 2
NOTES = {
    InteractionType.VISITE_DOMICILE: "Logement bien entretenu. Point sur le budget du mois et "
    "les courriers reçus.",
    InteractionType.RDV_BUREAU: "Rendez-vous au bureau : dossier de demande de logement social "
    "mis à jour.",
    InteractionType.TELEPHONE: "Appel pour préparer le prochain rendez-vous CAF.",
    InteractionType.ACCOMPAGNEMENT_EXTERIEUR: "Accompagnement à la préfecture pour le dépôt du "
    "dossier de titre de séjour.",
    InteractionType.VISITE_CONJOINTE: "Visite conjointe avec le régisseur : état du logement et "
    "échéancier de la dette.",
    InteractionType.RDV_NON_HONORE: "",
}
DOMAINS_OF = {
    InteractionType.VISITE_DOMICILE: [SupportDomain.LOGEMENT, SupportDomain.BUDGET],
    InteractionType.RDV_BUREAU: [SupportDomain.ADMINISTRATIF, SupportDomain.LOGEMENT],
    InteractionType.TELEPHONE: [SupportDomain.ADMINISTRATIF],
    InteractionType.ACCOMPAGNEMENT_EXTERIEUR: [SupportDomain.TITRE_SEJOUR],
    InteractionType.VISITE_CONJOINTE: [SupportDomain.LOGEMENT, SupportDomain.BUDGET],
    InteractionType.RDV_NON_HONORE: [],
}


def seed(*, organisation, demo, dispositif, users) -> None:
    if Interaction.objects.exists():
        return
    today = timezone.localdate()
    rng = random.Random(f"{demo.slug}-support")
    worker, regisseur = users["social_worker"], users["regisseur"]
    partners = [
        partner_create(name=name, kind=kind, phone=phone)
        for name, kind, phone in PARTNERS[demo.slug]
    ]
    households = list(
        Household.objects.filter(entry_date__isnull=False)
        .prefetch_related("persons")
        .order_by("entry_date", "reference")
    )
    present = [h for h in households if h.exit_date is None]
    quiet = present[2] if len(present) > 2 else None  # no contact for two months
    late = present[-1] if present else None  # support contract signed after six weeks
    interactions, links = [], []
    for household in households:
        stay_end = min(household.exit_date or today, today)
        delay = 45 if household == late else rng.randint(3, 25)
        signed_on = min(household.entry_date + datetime.timedelta(days=delay), stay_end)
        if household != late or signed_on < today:
            _contract(household, signed_on, stay_end, worker, rng)
        day = household.entry_date + datetime.timedelta(days=rng.randint(1, 6))
        last_day = stay_end - datetime.timedelta(days=1)
        if household == quiet:
            last_day = today - relativedelta(months=2)
        while day <= last_day:
            kind = InteractionType.RDV_NON_HONORE if rng.random() < 0.1 else rng.choice(KINDS)
            if rng.random() < 0.06:
                kind = InteractionType.VISITE_CONJOINTE
            interactions.append(
                Interaction(
                    organisation=organisation,
                    household=household,
                    date=day,
                    kind=kind,
                    duration_minutes=None
                    if kind == InteractionType.RDV_NON_HONORE
                    else rng.choice([30, 45, 60, 90]),
                    domains=DOMAINS_OF[kind],
                    notes=NOTES[kind],
                    created_by=worker,
                )
            )
            staff = [worker] + ([regisseur] if kind == InteractionType.VISITE_CONJOINTE else [])
            adults = [p for p in household.persons.all() if p.role != PersonRole.ENFANT]
            persons = (
                []
                if kind in (InteractionType.TELEPHONE, InteractionType.RDV_NON_HONORE)
                else adults
            )
            links.append((staff, persons))
            day += datetime.timedelta(days=rng.randint(12, 24))
        if household.exit_date is None and household != quiet and interactions:
            # The last one fixes the next appointment, a few days ahead.
            ahead = today + datetime.timedelta(days=rng.randint(2, 12))
            interactions[-1].next_appointment = timezone.make_aware(
                datetime.datetime.combine(ahead, datetime.time(rng.choice([9, 10, 14, 16])))
            )
    Interaction.objects.bulk_create(interactions)
    staff_rows, person_rows = [], []
    for interaction, (staff, persons) in zip(interactions, links, strict=True):
        staff_rows += [
            InteractionStaff(organisation=organisation, interaction=interaction, user=user)
            for user in staff
        ]
        person_rows += [
            InteractionPerson(organisation=organisation, interaction=interaction, person=person)
            for person in persons
        ]
    InteractionStaff.objects.bulk_create(staff_rows)
    InteractionPerson.objects.bulk_create(person_rows)
    _referrals(households, partners, worker, today, rng)
    _workshops(worker, regisseur, today)


def _contract(household, signed_on, stay_end, worker, rng) -> None:
    objectives = rng.sample(OBJECTIVES, 3)
    contract = support_contract_sign(household=household, signed_on=signed_on, referent=worker,
                                     objectives=objectives, by=worker)  # fmt: skip
    if household.exit_date is not None:
        return  # renewals of ended stays are not needed for the demo
    entry = household.entry_date
    while support_end(contract) < stay_end:
        end = support_end(contract)
        beyond = beyond_limit(end + relativedelta(months=RENEWAL), entry)
        support_contract_renew(
            contract=contract, signed_on=min(end - datetime.timedelta(days=10), stay_end),
            by=worker,
            justification="Relogement en cours : accompagnement maintenu jusqu’à l’entrée dans "
            "le logement social." if beyond else "",
        )  # fmt: skip


def _referrals(households, partners, worker, today, rng) -> None:
    for household in households:
        for _ in range(rng.randint(1, 2)):
            partner = rng.choice(partners)
            day = household.entry_date + datetime.timedelta(days=rng.randint(5, 60))
            if day > min(household.exit_date or today, today):
                continue
            referral = referral_create(household=household, partner=partner, date=day,
                                       domain=rng.choice(list(SupportDomain)),
                                       reason=f"Orientation vers {partner.name}",
                                       by=worker)  # fmt: skip
            outcome_day = day + datetime.timedelta(days=rng.randint(10, 40))
            if outcome_day <= today and rng.random() < 0.75:
                outcome = (
                    ReferralOutcome.ABOUTIE if rng.random() < 0.8 else ReferralOutcome.SANS_SUITE
                )
                referral_close(referral=referral, outcome=outcome, outcome_date=outcome_day,
                               by=worker)  # fmt: skip


def _workshops(worker, regisseur, today) -> None:
    for months_ago, title, theme in (
        (5, "Comprendre sa facture d’énergie et faire des économies", SupportDomain.BUDGET),
        (2, "Les droits et devoirs du locataire", SupportDomain.LOGEMENT),
    ):
        day = today - relativedelta(months=months_ago)
        present = list(participant_choices(day)[:8])
        if present:
            workshop_save(date=day, title=title, theme=theme, facilitators=[worker, regisseur],
                          participants=present, by=worker)  # fmt: skip
