"""Django admin, for platform superusers only (operators manage their team in the app)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm

from iml.models import Dispositif, Membership, Organisation, User


class AllOrganisationsAdmin(admin.ModelAdmin):
    """Platform staff see every organisation: through the explicitly named manager."""

    def get_queryset(self, request):
        return self.model.all_organisations.select_related("organisation")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "departement", "siret", "is_active"]
    search_fields = ["name", "slug", "siret"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Dispositif)
class DispositifAdmin(AllOrganisationsAdmin):
    list_display = ["code", "name", "organisation", "category", "zone", "places", "is_active"]
    list_filter = ["category", "zone", "organisation"]
    readonly_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(AllOrganisationsAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation"]
    readonly_fields = ["organisation", "user"]


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
