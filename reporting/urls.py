"""URLs of the annual report, mounted at /rapport/."""

from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.report_page, name="report_page"),
    path("recit/", views.narrative_save, name="narrative_save"),
    path("generer/", views.report_generate, name="report_generate"),
    path("detail/", views.drilldown, name="drilldown"),
    path("versions/<uuid:version>/rapport.pdf", views.version_pdf, name="version_pdf"),
    path("versions/<uuid:version>/rapport.xlsx", views.version_xlsx, name="version_xlsx"),
    path("versions/<uuid:version>/rapport.json", views.version_json, name="version_json"),
    path("versions/<uuid:version>/avancement/", views.version_progress, name="version_progress"),
]
