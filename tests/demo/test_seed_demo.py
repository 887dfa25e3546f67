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


def test_seed_demo_prints_a_recovery_code_for_the_coordinator(capsys, client):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    again = capsys.readouterr().out
    code = first.split("recovery code ")[1].split()[0]
    assert code in again  # unused: the same code again

    step = client.post("/admin/login/", {"username": "coordinator", "password": "coordinator-demo"})
    assert step["Location"] == "/admin/login/verify/"
    assert client.post("/admin/login/verify/", {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    call_command("seed_demo")
    assert code not in capsys.readouterr().out  # used: a new one
