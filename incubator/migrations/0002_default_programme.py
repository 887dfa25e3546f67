from django.db import migrations

DEFAULT_PROGRAMME = {
    "name": "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan",
    "description": (
        "The joint incubator plan of the Guangdong-Hong Kong-Macao Greater Bay Area Blockchain "
        "Alliance: blockchain start-ups apply, a panel reviews them, and the alliance's fund, "
        "training and testing partners support those it selects."
    ),
    "organisers": "Guangdong-Hong Kong-Macao Greater Bay Area Blockchain Alliance",
}


def create_default_programme(apps, schema_editor):
    Programme = apps.get_model("incubator", "Programme")
    Programme.objects.get_or_create(
        name=DEFAULT_PROGRAMME["name"],
        defaults={key: value for key, value in DEFAULT_PROGRAMME.items() if key != "name"},
    )


class Migration(migrations.Migration):
    dependencies = [("incubator", "0001_initial")]

    operations = [migrations.RunPython(create_default_programme, migrations.RunPython.noop)]
