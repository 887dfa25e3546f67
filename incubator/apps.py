import logging

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class IncubatorConfig(AppConfig):
    name = "incubator"
    verbose_name = _("Programme")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import lockout

        user_login_failed.connect(lockout.on_login_failed, dispatch_uid="incubator-lockout-failed")
        user_logged_in.connect(lockout.on_logged_in, dispatch_uid="incubator-lockout-cleared")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("CELERY_BROKER_URL is not set: background tasks run in-process.")


class IncubatorAdminConfig(AdminConfig):
    """Django's admin app, with our site as `admin.site` (incubator/admin_site.py)."""

    default_site = "incubator.admin_site.IncubatorAdminSite"
