"""A client generated from the live schema works: the proof that the schema matches the API.

openapi-python-client (pinned in requirements-dev.txt) generates a Python package from
`/api/schema/` into a temporary folder; the applicant's and the coordinator's journeys then run
only through that package, against a live server. Generation must print no warning.
"""

import importlib
import io
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import MINIMAL_PDF, CoordinatorFactory

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "incubator_api_client"
# A client developer's choice, documented in the README: the two file downloads are bytes.
CLIENT_CONFIG = """\
project_name_override: incubator-api-client
package_name_override: incubator_api_client
content_type_overrides:
  text/csv: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
"""


@pytest.fixture
def generated(live_server, tmp_path):
    """The generated package, imported; and the generator's own output."""
    schema = tmp_path / "schema.json"
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as answer:  # noqa: S310 (the test's own server)
        schema.write_bytes(answer.read())
    config = tmp_path / "config.yaml"
    config.write_text(CLIENT_CONFIG)
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        # The generator formats its output with ruff, which lives beside the interpreter.
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        yield package, result.stdout + result.stderr
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def api(module: str):
    return importlib.import_module(f"{PACKAGE}.{module}")


@pytest.mark.django_db(transaction=True)
def test_generated_client_carries_the_applicants_and_the_coordinators_journeys(
    generated, live_server
):
    package, generator_output = generated
    assert "warning" not in generator_output.lower(), generator_output
    models = api("models")
    anonymous = package.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # The coordinator opens a round with a rubric.
    CoordinatorFactory(username="coordinator", password="Coordinator-Pass-2026")
    token = api("api.auth.auth_token").sync(
        client=anonymous,
        body=models.TokenCredentialsRequest(
            username="coordinator", password="Coordinator-Pass-2026"
        ),
    )
    coordinator = package.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )
    now = timezone.now()
    round_ = api("api.rounds.rounds_create").sync(
        client=coordinator,
        body=models.RoundWriteRequest(
            name="Generated-client round",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=7),
            review_deadline=now + timedelta(days=14),
            reviews_per_application=1,
            criteria=[
                models.CriterionRequest(name="Team", weight="2", max_score=10),
                models.CriterionRequest(name="Market"),
            ],
        ),
    )
    assert [criterion.name for criterion in round_.criteria] == ["Team", "Market"]

    # The applicant registers, finds the round, drafts with and without the optional fields.
    registered = api("api.auth.auth_register").sync(
        client=anonymous,
        body=models.RegisterRequest(
            username="ada",
            email="ada@ledger.example",
            password="Harbour-Ledger-2026",
            startup_name="Harbour Ledger",
            region=models.RegionEnum.HONG_KONG,
        ),
    )
    founder = package.AuthenticatedClient(
        base_url=live_server.url,
        token=registered.token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    token_again = api("api.auth.auth_token").sync(
        client=anonymous,
        body=models.TokenCredentialsRequest(username="ada", password="Harbour-Ledger-2026"),
    )
    assert token_again.token == registered.token
    rounds = api("api.rounds.rounds_list").sync(client=anonymous)
    assert round_.id in [item.id for item in rounds.results if item.is_open]

    bare = api("api.applications.applications_create").sync(
        client=founder, body=models.ApplicationCreateRequest(round_=round_.id, project_name="Bare")
    )
    assert (bare.track, bare.stage, bare.funding_currency) == (None, None, None)
    api("api.applications.applications_destroy").sync_detailed(bare.id, client=founder)
    draft = api("api.applications.applications_create").sync(
        client=founder,
        body=models.ApplicationCreateRequest(
            round_=round_.id,
            project_name="Harbour settlement ledger",
            track=models.TrackEnum.FINANCE,
            stage=models.StageEnum.PILOT,
            summary="Settlement of cross-border invoices on a permissioned ledger.",
            funding_amount="1500000.00",
            funding_currency=models.CurrencyEnum.HKD,
            needs=[models.ServiceKindEnum.FUND, models.ServiceKindEnum.TESTING],
        ),
    )
    assert draft.status == models.ApplicationStatusEnum.DRAFT
    attachment = api("api.applications.applications_attachments").sync(
        draft.id,
        client=founder,
        body=models.AttachmentUploadRequest(
            kind=models.AttachmentKindEnum.PITCH_DECK,
            file=package.types.File(
                payload=io.BytesIO(MINIMAL_PDF), file_name="deck.pdf", mime_type="application/pdf"
            ),
        ),
    )
    assert attachment.url.startswith(live_server.url)
    submitted = api("api.applications.applications_submit").sync(draft.id, client=founder)
    assert submitted.status == models.ApplicationStatusEnum.SUBMITTED
    read_back = api("api.applications.applications_retrieve").sync(draft.id, client=founder)
    assert (read_back.project_name, read_back.track) == (
        "Harbour settlement ledger",
        models.TrackEnum.FINANCE,
    )
    assert [item.kind for item in read_back.attachments] == [models.AttachmentKindEnum.PITCH_DECK]
    history = api("api.applications.applications_history").sync(draft.id, client=founder)
    assert [(str(change.from_status), str(change.to_status)) for change in history] == [
        ("draft", "submitted")
    ]

    # The coordinator assigns, ranks, shortlists, downloads, publishes and watches delivery.
    api("api.reviewers.reviewers_create").sync(
        client=coordinator,
        body=models.ReviewerCreateRequest(
            username="reviewer",
            email="reviewer@alliance.example",
            password="Reviewer-Pass-2026",
            jurisdiction=models.JurisdictionEnum.HONG_KONG,
        ),
    )
    assigned = api("api.rounds.rounds_assign").sync(round_.id, client=coordinator)
    assert (assigned.created, assigned.total, assigned.short) == (1, 1, [])
    ranking = api("api.rounds.rounds_ranking").sync(round_.id, client=coordinator)
    assert [row.application for row in ranking.results] == [draft.id]
    shortlist = api("api.shortlists.shortlists_create").sync(
        client=coordinator,
        body=models.ShortlistCreateRequest(round_=round_.id, name="Top 5", size=5),
    )
    assert [entry.application for entry in shortlist.entries] == [draft.id]
    csv_file = api("api.shortlists.shortlists_export_csv").sync_detailed(
        shortlist.id, client=coordinator
    )
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    xlsx_file = api("api.shortlists.shortlists_export_xlsx").sync_detailed(
        shortlist.id, client=coordinator
    )
    assert xlsx_file.content.startswith(b"PK\x03\x04")
    published = api("api.shortlists.shortlists_publish").sync(shortlist.id, client=coordinator)
    assert published.published_at is not None
    notifications = api("api.notifications.notifications_list").sync(client=coordinator)
    events = {item.event for item in notifications.results}
    assert {"application.submitted", "assignment.created", "application.shortlisted"} <= {
        str(event) for event in events
    }
