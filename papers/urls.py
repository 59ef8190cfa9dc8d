from django.urls import path

from papers import views

app_name = "papers"

urlpatterns = [
    path("menages/<uuid:household>/ajouter/", views.household_add, name="household_add"),
    path("logements/<uuid:unit>/ajouter/", views.unit_add, name="unit_add"),
    path("bailleurs/<uuid:landlord>/ajouter/", views.landlord_add, name="landlord_add"),
    path("fichiers/<uuid:page>/", views.download, name="download"),
    path("fichiers/<uuid:page>/vignette/", views.thumbnail, name="thumbnail"),
    path("<uuid:paper>/supprimer/", views.delete, name="delete"),
    path("a-renouveler/", views.expiring, name="expiring"),
    path("types/", views.types, name="types"),
    path("types/<uuid:paper_type>/", views.type_edit, name="type_edit"),
    path("classer/contrats/<uuid:contract>/", views.file_contract, name="file_contract"),
    path("classer/avenants/<uuid:amendment>/", views.file_amendment, name="file_amendment"),
    path("classer/recus/<uuid:entry>/", views.file_receipt, name="file_receipt"),
    path("classer/etats-des-lieux/<uuid:inventory>/", views.file_inventory, name="file_inventory"),
]
