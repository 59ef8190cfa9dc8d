"""Django admin, for platform superusers only (operators manage their team in the app).

Only platform-wide tables are here: organisations and accounts. Operators' data (dispositifs,
memberships, households…) are not, by design: platform staff do not read them, and
row-level security would show them none. A new operator's first admin is invited with
``manage.py create_organisation``.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm

from iml.models import FunderAgent, Institution, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "departement", "siret", "is_active"]
    search_fields = ["name", "slug", "siret"]
    prepopulated_fields = {"slug": ["name"]}


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["email"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]},
        )
    ]
    filter_horizontal = []
    list_filter = ["is_active", "is_superuser"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    """Funders (DDETS, DREETS, DIHAL): created here or with ``create_institution``; their
    agents are invited with ``invite_funder_agent`` (an e-mail to choose a password)."""

    list_display = ["name", "kind", "territory_label", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(FunderAgent)
class FunderAgentAdmin(admin.ModelAdmin):
    list_display = ["user", "institution", "is_active", "created_at"]
    list_filter = ["institution", "is_active"]
    search_fields = ["user__email", "user__last_name"]
    raw_id_fields = ["user"]
