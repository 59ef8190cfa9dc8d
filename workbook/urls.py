from django.urls import path

from workbook import views

app_name = "workbook"

urlpatterns = [
    path("", views.import_upload, name="import_upload"),
    path("imports/<uuid:job>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:job>/confirmer/", views.import_confirm, name="import_confirm"),
    path("imports/<uuid:job>/avancement/", views.import_progress, name="import_progress"),
    path("modele.xlsx", views.template_download, name="template_download"),
    path("export.xlsx", views.export_download, name="export_download"),
    path("export/verification/", views.export_verify, name="export_verify"),
]
