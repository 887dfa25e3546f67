from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The outbox: Notification rows, their delivery by e-mail and webhook, retries and the
    Celery tasks that send them. It knows nothing of the apps whose events it carries."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The outbox publishes its delivery task by name (tasks.py sits above outbox.py), and
        # Celery imports task modules only in a worker: a web process registers them here, or
        # every after-commit dispatch would fail with NotRegistered.
        # The audit trail's on-demand checkpoints go to the witnesses too.
        from audit.checkpoints import provide_checkpoint_maker

        from . import tasks  # noqa: F401 (imported to register the tasks)
        from .witnesses import checkpoint_and_tell_witnesses

        provide_checkpoint_maker(checkpoint_and_tell_witnesses)
