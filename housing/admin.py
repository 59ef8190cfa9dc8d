"""Django admin of the housing stock, for platform superusers: read-only.

Operators change their stock in the app, through the services that keep it consistent.
"""

from django.contrib import admin

from housing.models import HousingUnit, Landlord, MainLease, Prospect, Room
from iml.admin import AllOrganisationsAdmin


class ReadOnlyAdmin(AllOrganisationsAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Landlord)
class LandlordAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "organisation"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name"]


@admin.register(HousingUnit)
class HousingUnitAdmin(ReadOnlyAdmin):
    list_display = ["reference", "city", "typology", "places", "captation_date", "return_date"]
    list_filter = ["organisation", "typology", "parc"]
    search_fields = ["reference", "address", "city"]


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["reference", "label", "places", "organisation"]
    list_filter = ["organisation"]


@admin.register(MainLease)
class MainLeaseAdmin(ReadOnlyAdmin):
    list_display = ["unit", "landlord", "start_date", "end_date", "rent"]
    list_filter = ["organisation", "management_mode"]


@admin.register(Prospect)
class ProspectAdmin(ReadOnlyAdmin):
    list_display = ["address", "city", "status", "organisation"]
    list_filter = ["organisation", "status"]
