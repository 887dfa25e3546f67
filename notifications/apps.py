from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The outbox: Notification rows, their delivery by e-mail and webhook, retries and the
    Celery tasks that send them. It knows nothing of the apps whose events it carries."""

    name = "notifications"
    verbose_name = _("Notifications")
