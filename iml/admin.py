"""Django admin, for platform superusers only (operators manage their team in the app).

Only platform-wide tables are here: organisations and accounts. Operators' data (dispositifs,
memberships, households…) are not, by design: platform staff do not read them, and
row-level security would show them none. A new operator's first admin is invited with
``manage.py create_organisation``.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm

from iml.models import Organisation, User


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
