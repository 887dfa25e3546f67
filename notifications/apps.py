from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The outbox: Notification rows, their delivery by e-mail and webhook, retries and the
    Celery tasks that send them. It knows nothing of the apps whose events it carries."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The outbox hands rows to its delivery task by name (tasks.py sits above outbox.py), so
        # the task must be registered in every process that writes rows, not only in workers.
        from . import tasks  # noqa: F401
