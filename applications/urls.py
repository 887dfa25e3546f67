"""The applicant portal at the site root, the log-in pages, and attachment downloads."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from incubator import views as account_views

from . import team_views, views
from .forms import LocalizedPasswordResetForm

portal_patterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("startup/", views.startup_profile, name="profile"),
    path("startup/team/", team_views.team, name="team"),
    path(
        "startup/team/invitations/<int:pk>/revoke/",
        team_views.team_revoke,
        name="team-revoke",
    ),
    path(
        "startup/team/members/<int:user>/remove/",
        team_views.team_remove,
        name="team-remove",
    ),
    path("startup/team/members/<int:user>/role/", team_views.team_role, name="team-role"),
    path("invitations/accept/", team_views.invitation, name="invitation"),
    path("invitations/<str:token>/", team_views.invitation_link, name="invitation-link"),
    path("applications/new/", views.application_create, name="application-new"),
    path(
        "applications/new/autosave/",
        views.application_autosave_new,
        name="application-autosave-new",
    ),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application-edit"),
    path(
        "applications/<int:pk>/autosave/",
        views.application_autosave,
        name="application-autosave",
    ),
    path("applications/<int:pk>/delete/", views.application_delete, name="application-delete"),
    path("applications/<int:pk>/files/", views.attachment_upload, name="attachment-upload"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application-submit"),
    path("applications/<int:pk>/consent/", views.application_consent, name="application-consent"),
    path(
        "applications/<int:pk>/withdraw/",
        views.application_withdraw,
        name="application-withdraw",
    ),
]

# Django's admin ships registration/ templates of its own: ours are named explicitly.
ACCOUNT = "applications/account"

# Django's own views with our templates; their URL names are the ones Django expects. The log-in
# is the kernel's two-step one (lock-out, then two-factor where the account needs it).
account_patterns = [
    path(
        "login/",
        account_views.TwoStepLoginView.as_view(
            login_site=account_views.PORTAL,
            redirect_authenticated_user=True,
            template_name=f"{ACCOUNT}/login.html",
        ),
        name="login",
    ),
    path(
        "login/verify/",
        account_views.verify,
        {"site": account_views.PORTAL},
        name="two-factor-verify",
    ),
    path(
        "login/setup/", account_views.setup, {"site": account_views.PORTAL}, name="two-factor-setup"
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.ThrottledPasswordResetView.as_view(
            form_class=LocalizedPasswordResetForm,
            template_name=f"{ACCOUNT}/password_reset_form.html",
            # Django's names: the plain-text body is the ".html" one, rendered unescaped.
            email_template_name=f"{ACCOUNT}/password_reset_email.html",
            html_email_template_name=f"{ACCOUNT}/password_reset_email_body.html",
            subject_template_name=f"{ACCOUNT}/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name=f"{ACCOUNT}/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=f"{ACCOUNT}/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=f"{ACCOUNT}/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    *account_patterns,
    path("files/<int:pk>/", views.attachment_download, name="attachment-download"),
]
