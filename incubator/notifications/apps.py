from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Registered so Django finds the e-mail templates and Celery finds `tasks.py`; the models
    (ServiceProvider, Notification, NotificationAttempt) belong to the `incubator` app."""

    name = "incubator.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
