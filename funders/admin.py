"""The platform's staff read the funder's side's log and submissions; nobody edits them here
(a submission's content is frozen by the database; its review is the DDETS's act)."""

from django.contrib import admin

from funders.models import FunderAccess, Submission


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ["organisation_name", "dispositif_code", "year", "number", "status",
                    "institution", "submitted_at"]  # fmt: skip
    list_filter = ["status", "year", "region"]
    exclude = ["pdf", "xlsx"]


@admin.register(FunderAccess)
class FunderAccessAdmin(ReadOnly):
    list_display = ["at", "user", "institution", "action", "object_type", "path"]
    list_filter = ["institution", "action"]
