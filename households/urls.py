from django.urls import path

from households import views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("attente/", views.waiting_list, name="waiting_list"),
    path("orienter/", views.household_orient, name="household_orient"),
    path("<uuid:household>/", views.household_detail, name="household_detail"),
    path("<uuid:household>/modifier/", views.household_edit, name="household_edit"),
    path("<uuid:household>/retrait/", views.household_withdraw, name="household_withdraw"),
    path(
        "<uuid:household>/retrait/annuler/",
        views.household_withdraw_cancel,
        name="household_withdraw_cancel",
    ),
    path("<uuid:household>/personnes/ajouter/", views.person_add, name="person_add"),
    path("<uuid:household>/ressources/ajouter/", views.resources_add, name="resources_add"),
    path("personnes/<uuid:person>/modifier/", views.person_edit, name="person_edit"),
    path("personnes/<uuid:person>/depart/", views.person_leave, name="person_leave"),
    path("personnes/<uuid:person>/emploi/", views.employment_add, name="employment_add"),
]
