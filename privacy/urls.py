"""Mounted under the households' prefix (``menages/``): the export is a page of the household."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "<uuid:household>/donnees.json",
        views.household_export,
        {"fmt": "json"},
        name="household_export_json",
    ),
    path(
        "<uuid:household>/donnees.zip",
        views.household_export,
        {"fmt": "zip"},
        name="household_export_zip",
    ),
    path(
        "<uuid:household>/donnees.pdf",
        views.household_export,
        {"fmt": "pdf"},
        name="household_export_pdf",
    ),
]
