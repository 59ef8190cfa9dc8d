from django.urls import path

from rehousing import views

app_name = "rehousing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("menages/<uuid:household>/demande/", views.demand_edit, name="demand_edit"),
    path("menages/<uuid:household>/pret-a-sortir/", views.readiness_page, name="readiness"),
    path("menages/<uuid:household>/propositions/nouvelle/", views.proposal_create,
         name="proposal_create"),
    path("propositions/<uuid:proposal>/", views.proposal_edit, name="proposal_edit"),
    path("menages/<uuid:household>/mesures/nouvelle/", views.measure_create,
         name="measure_create"),
    path("mesures/<uuid:measure>/", views.measure_edit, name="measure_edit"),
    path("contrats/<uuid:contract>/glissement/", views.slide_plan_edit, name="slide_plan"),
    # ``str``: every URL argument is a uuid or a word (tests/test_hostile_input.py); the view
    # checks it is one of the follow-ups' months.
    path("menages/<uuid:household>/suivi/<str:months>/", views.follow_up, name="follow_up"),
]  # fmt: skip
