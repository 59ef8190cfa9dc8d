from django.urls import path

from housing import views

app_name = "housing"

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("nouveau/", views.unit_create, name="unit_create"),
    path("<uuid:unit>/", views.unit_detail, name="unit_detail"),
    path("<uuid:unit>/modifier/", views.unit_edit, name="unit_edit"),
    path("<uuid:unit>/restitution/", views.unit_return, name="unit_return"),
    path("<uuid:unit>/chambres/nouvelle/", views.room_create, name="room_create"),
    path("chambres/<uuid:room>/", views.room_edit, name="room_edit"),
    path("<uuid:unit>/baux/nouveau/", views.lease_create, name="lease_create"),
    path("baux/<uuid:lease>/", views.lease_edit, name="lease_edit"),
    path("bailleurs/", views.landlord_list, name="landlord_list"),
    path("bailleurs/nouveau/", views.landlord_create, name="landlord_create"),
    path("bailleurs/<uuid:landlord>/", views.landlord_edit, name="landlord_edit"),
    path("captation/", views.prospect_board, name="prospect_board"),
    path("captation/nouvelle/", views.prospect_create, name="prospect_create"),
    path("captation/<uuid:prospect>/", views.prospect_edit, name="prospect_edit"),
    path("captation/<uuid:prospect>/etape/", views.prospect_move, name="prospect_move"),
    path("captation/<uuid:prospect>/capter/", views.prospect_capture, name="prospect_capture"),
]
