from django.urls import path

from support.views import agenda, contracts, interactions, network

app_name = "support"

urlpatterns = [
    # The agenda and its calendar link (ICS)
    path("agenda/", agenda.agenda, name="agenda"),
    path("agenda/lien/", agenda.agenda_link, name="agenda_link"),
    path("agenda/<str:token>/rendez-vous.ics", agenda.agenda_feed, name="agenda_feed"),
    # Interactions and the household's timeline
    path(
        "menages/<uuid:household>/echange/",
        interactions.interaction_create,
        name="interaction_create",
    ),
    path(
        "echanges/<uuid:interaction>/corriger/",
        interactions.interaction_edit,
        name="interaction_edit",
    ),
    path(
        "echanges/<uuid:interaction>/supprimer/",
        interactions.interaction_remove,
        name="interaction_remove",
    ),
    path(
        "menages/<uuid:household>/historique/",
        interactions.household_timeline_view,
        name="household_timeline",
    ),
    # Support contracts and their objectives
    path("menages/<uuid:household>/contrat/", contracts.contract_sign, name="contract_sign"),
    path("contrats/<uuid:support_contract>/", contracts.contract_detail, name="contract_detail"),
    path(
        "contrats/<uuid:support_contract>/avenant/",
        contracts.contract_renew,
        name="contract_renew",
    ),
    path(
        "contrats/<uuid:support_contract>/objectif/",
        contracts.objective_add,
        name="objective_add",
    ),
    path("contrats/<uuid:support_contract>/pdf/", contracts.contract_pdf, name="contract_pdf"),
    path("objectifs/<uuid:objective>/clore/", contracts.objective_close, name="objective_close"),
    path(
        "objectifs/<uuid:objective>/rouvrir/",
        contracts.objective_reopen,
        name="objective_reopen",
    ),
    # Partners, referrals and collective workshops
    path("partenaires/", network.partner_list, name="partner_list"),
    path("partenaires/nouveau/", network.partner_create, name="partner_create"),
    path("partenaires/<uuid:partner>/", network.partner_detail, name="partner_detail"),
    path("partenaires/<uuid:partner>/modifier/", network.partner_edit, name="partner_edit"),
    path(
        "menages/<uuid:household>/orientations/nouvelle/",
        network.referral_create,
        name="referral_create",
    ),
    path("orientations/<uuid:referral>/suite/", network.referral_outcome, name="referral_outcome"),
    path("ateliers/", network.workshop_list, name="workshop_list"),
    path("ateliers/nouveau/", network.workshop_create, name="workshop_create"),
    path("ateliers/<uuid:workshop>/", network.workshop_detail, name="workshop_detail"),
    path("ateliers/<uuid:workshop>/modifier/", network.workshop_edit, name="workshop_edit"),
]
