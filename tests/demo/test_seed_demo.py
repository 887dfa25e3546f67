import pytest
from django.apps import apps
from django.core.management import call_command

from applications.enums import ApplicationStatus
from applications.models import Application

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for config in apps.get_app_configs()
        if config.label in {"incubator", "notifications", "applications", "reviews", "auth"}
        for model in config.get_models()
    }


def test_seed_demo_builds_every_status_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = row_counts()
    call_command("seed_demo")

    assert row_counts() == first
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatus.values
    )
    assert first["applications.Startup"] == 40
    assert first["incubator.ServiceProvider"] == 6
    assert first["incubator.Criterion"] == 5
    assert "founder" in capsys.readouterr().out
