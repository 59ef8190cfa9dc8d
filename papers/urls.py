from django.urls import path

from papers import views

app_name = "papers"

urlpatterns = [
    path("menages/<uuid:household>/ajouter/", views.household_add, name="household_add"),
    path("logements/<uuid:unit>/ajouter/", views.unit_add, name="unit_add"),
    path("fichiers/<uuid:page>/", views.download, name="download"),
    path("fichiers/<uuid:page>/vignette/", views.thumbnail, name="thumbnail"),
    path("<uuid:paper>/supprimer/", views.delete, name="delete"),
    path("a-renouveler/", views.expiring, name="expiring"),
]
