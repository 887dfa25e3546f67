from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demonstration and benchmark data (`manage.py seed_demo`, `generate_bench_data`): the top of
    the house, the one app that may import every other."""

    name = "demo"
    verbose_name = _("Demonstration data")
