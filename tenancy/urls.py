from django.urls import path

from tenancy.views import contracts, documents, inventories, owners, spaces, stays

app_name = "tenancy"

urlpatterns = [
    # Contracts, rent ledger and repayment plans
    path("contrats/", contracts.contract_list, name="contract_list"),
    path("contrats/<uuid:contract>/", contracts.contract_detail, name="contract_detail"),
    path("contrats/<uuid:contract>/ecriture/", contracts.charge_create, name="charge_create"),
    path("contrats/<uuid:contract>/avenant/", contracts.contract_renew, name="contract_renew"),
    path("contrats/<uuid:contract>/loyer/", contracts.contract_terms, name="contract_terms"),
    path("contrats/<uuid:contract>/glissement/", contracts.contract_slide, name="contract_slide"),
    path("contrats/<uuid:contract>/plan/", contracts.plan_create, name="plan_create"),
    path("menages/<uuid:household>/compte/", contracts.household_account, name="household_account"),
    path("ecritures/<uuid:entry>/annuler/", contracts.entry_reverse, name="entry_reverse"),
    path("encaissement/", contracts.payment_entry, name="payment_entry"),
    path("journal-de-caisse/", contracts.cash_journal, name="cash_journal"),
    path("plans/", contracts.plan_list, name="plan_list"),
    path("plans/<uuid:plan>/", contracts.plan_detail, name="plan_detail"),
    path("plans/<uuid:plan>/rompre/", contracts.plan_break, name="plan_break"),
    # PDF documents
    path("contrats/<uuid:contract>/contrat.pdf", documents.contract_pdf, name="contract_pdf"),
    path("contrats/<uuid:contract>/quittance.pdf", documents.quittance_pdf, name="quittance_pdf"),
    path("contrats/<uuid:contract>/releve.pdf", documents.statement_pdf, name="statement_pdf"),
    path("avenants/<uuid:amendment>/avenant.pdf", documents.amendment_pdf, name="amendment_pdf"),
    path("ecritures/<uuid:entry>/avis-echeance.pdf", documents.rent_call_pdf, name="rent_call_pdf"),
    path("ecritures/<uuid:entry>/recu.pdf", documents.receipt_pdf, name="receipt_pdf"),
    path("journal-de-caisse.pdf", documents.cash_journal_pdf, name="cash_journal_pdf"),
    # Inventories and incidents
    path(
        "contrats/<uuid:contract>/etat-des-lieux/<str:kind>/",
        inventories.inventory_create,
        name="inventory_create",
    ),
    path(
        "etats-des-lieux/<uuid:inventory>/", inventories.inventory_detail, name="inventory_detail"
    ),
    path("etats-des-lieux/<uuid:inventory>/pdf/", inventories.inventory_pdf, name="inventory_pdf"),
    path("incidents/", inventories.incident_list, name="incident_list"),
    path(
        "logements/<uuid:unit>/signaler-un-incident/",
        inventories.incident_create,
        name="incident_create",
    ),
    path("incidents/<uuid:incident>/", inventories.incident_edit, name="incident_edit"),
    # Owner side: CAF batch, landlord statements and payments
    path("caf/", owners.caf_batch, name="caf_batch"),
    path("bailleurs/", owners.owner_statement, name="owner_statement"),
    path("bailleurs/baux/<uuid:lease>/annee/", owners.owner_lease_year, name="owner_lease_year"),
    path(
        "bailleurs/baux/<uuid:lease>/paiement/",
        owners.landlord_payment_create,
        name="landlord_payment_create",
    ),
    # Free spaces
    path("places-libres/", spaces.free_spaces, name="free_spaces"),
    # Admission and exit
    path("menages/<uuid:household>/entree/", stays.household_admit, name="household_admit"),
    path("menages/<uuid:household>/sortie/", stays.household_exit, name="household_exit"),
    path(
        "menages/<uuid:household>/sortie/annuler/",
        stays.household_exit_cancel,
        name="household_exit_cancel",
    ),
    path(
        "menages/<uuid:household>/entree/annuler/",
        stays.household_admission_cancel,
        name="household_admission_cancel",
    ),
]
