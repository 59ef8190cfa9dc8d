from django.urls import path

from alerts import views

# Mounted at the site's root, without a namespace (the names predate the app).
urlpatterns = [
    path("alertes/", views.alert_list, name="alert_list"),
    path("alertes/<uuid:alert>/vue/", views.alert_mark_seen, name="alert_mark_seen"),
    # Where it was when the support app served it: bookmarks keep working.
    path("accompagnement/mes-menages/", views.my_households_view, name="my_households"),
]
