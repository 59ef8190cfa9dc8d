from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from iml.forms import LoginForm
from iml.views import core, security

# The Django admin is for platform superusers only; operators use the in-app pages.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
admin.site.site_header = "IML — administration de la plateforme"

auth_patterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/oubli/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    *auth_patterns,
    path("", core.dashboard, name="dashboard"),
    path("sante/", core.health, name="health"),
    path("organisation/choisir/", core.organisation_switch, name="organisation_switch"),
    path(
        "organisation/parametres/",
        security.organisation_settings,
        name="organisation_settings",
    ),
    path("securite/", security.security, name="security"),
    path("journal-des-acces/", core.access_log_list, name="access_log"),
    path("", include("alerts.urls")),
    path("securite/verification/", security.two_factor_verify, name="two_factor_verify"),
    path("securite/activation/", security.two_factor_setup, name="two_factor_setup"),
    path(
        "securite/codes-de-secours/",
        security.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("securite/desactivation/", security.two_factor_disable, name="two_factor_disable"),
    path(
        "securite/deconnexion-partout/",
        security.logout_everywhere,
        name="logout_everywhere",
    ),
    path("equipe/", core.member_list, name="member_list"),
    path("equipe/inviter/", core.member_invite, name="member_invite"),
    path("equipe/<uuid:membership>/", core.member_edit, name="member_edit"),
    path("equipe/<uuid:membership>/desactiver/", core.member_deactivate, name="member_deactivate"),
    path("equipe/<uuid:membership>/reactiver/", core.member_reactivate, name="member_reactivate"),
    path(
        "equipe/invitations/<uuid:invitation>/renvoyer/",
        core.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "equipe/invitations/<uuid:invitation>/annuler/",
        core.invitation_cancel,
        name="invitation_cancel",
    ),
    # The invited person's side: signed link e-mailed to them (iml.services.invitation_token).
    path("invitation/<str:invitation_token>/", core.invitation_accept, name="invitation_accept"),
    path("dispositifs/", core.dispositif_list, name="dispositif_list"),
    path("dispositifs/nouveau/", core.dispositif_create, name="dispositif_create"),
    path("dispositifs/<uuid:dispositif>/", core.dispositif_edit, name="dispositif_edit"),
    path(
        "dispositifs/<uuid:dispositif>/alertes/",
        core.dispositif_alerts,
        name="dispositif_alerts",
    ),
    path("menages/", include("households.urls")),
    # The RGPD export of a household, under the household's own address.
    path("menages/", include("privacy.urls")),
    path("logements/", include("housing.urls")),
    path("location/", include("tenancy.urls")),
    path("accompagnement/", include("support.urls")),
    path("pieces/", include("papers.urls")),
    path("relogement/", include("rehousing.urls")),
    path("banque/", include("banking.urls")),
    path("rapport/", include("reporting.urls")),
    path("classeur/", include("workbook.urls")),
    path("", include("funders.urls")),
    path("admin/", admin.site.urls),
]
