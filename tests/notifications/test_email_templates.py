"""E-mail texts coordinators edit in the admin: used in place of the shipped files per template
and language, rendered in the sandbox, checked on save, previewed with a real row, reset."""

import pytest
from django.core.exceptions import ValidationError

from notifications import services
from notifications.delivery import render_email
from notifications.models import EmailTemplate, Notification
from tests.factories import NotificationFactory, ReviewerFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

EDIT = "/admin/notifications/emailtemplate/edit/{name}/{language}/"
OVERVIEW = "/admin/notifications/emailtemplate/"
DATA = {
    "application": 7,
    "startup": 4,
    "startup_name": "Acme Chain",
    "project_name": "Ledger",
    "round": "R1",
    "submitted_at": "2026-11-20T02:00:00+00:00",
}
PROGRAMME = "Greater Bay Area Blockchain Blue Chip Project Joint Incubator Plan"
TEXTS = {
    "en": ("Thanks for “{{ data.project_name }}”", "Dear {{ data.startup_name }}, got it."),
    "zh-hans": ("感谢提交“{{ data.project_name }}”", "{{ data.startup_name }}：已收到。"),
    "zh-hant": ("感謝提交「{{ data.project_name }}」", "{{ data.startup_name }}：已收到。"),
}


def submitted_row(language: str = "en", data: dict | None = None) -> Notification:
    return NotificationFactory(
        language=language,
        payload={"template": "application_submitted", "programme": PROGRAMME, "data": data or DATA},
    )


def save(language: str = "en", **fields) -> EmailTemplate:
    subject, text = TEXTS.get(language, TEXTS["en"])
    arguments = {"subject": subject, "text_body": text, "html_body": "", **fields}
    return services.save_email_template(
        actor=None, name="application_submitted", language=language, **arguments
    )


@pytest.fixture
def coordinator_client(client, coordinator):
    force_login_verified(client, coordinator)
    return client


# --- Rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "text"),
    [
        ("en", "Thanks for “Ledger”", "Dear Acme Chain, got it.\n"),
        ("zh-hans", "感谢提交“Ledger”", "Acme Chain：已收到。\n"),
        ("zh-hant", "感謝提交「Ledger」", "Acme Chain：已收到。\n"),
    ],
)
def test_render_email_uses_the_edited_text_of_its_language(language, subject, text):
    save(language)

    rendered = render_email(submitted_row(language))

    assert rendered[:2] == (subject, text)
    # Without an HTML body, the HTML part is the text in the e-mail's frame, in that language.
    assert rendered[2].startswith(f'<!DOCTYPE html>\n<html lang="{language}">')
    assert f"<p>{text.strip()}</p>" in rendered[2]


def test_render_email_falls_back_to_the_shipped_file_in_other_languages():
    save("zh-hant")

    subject, text, html = render_email(submitted_row("zh-hans"))

    assert subject == "我们已收到您的申请“Ledger”"
    assert text.startswith("Acme Chain 您好：")
    assert '<html lang="zh-hans">' in html


def test_render_email_edited_html_body_is_used_when_given():
    save(
        html_body='{% extends "notifications/email/base.html" %}{% block content %}'
        "<h1>{{ data.project_name }}</h1>{% endblock %}"
    )

    _subject, _text, html = render_email(submitted_row())

    assert "<h1>Ledger</h1>" in html
    assert f"You receive this message from {PROGRAMME}." in html


def test_render_email_text_parts_are_not_html_escaped_but_html_is():
    data = {**DATA, "project_name": 'Say "hi" & <go>'}
    shipped = render_email(submitted_row(data=data))
    save(subject="{{ data.project_name }}", text_body="Project: {{ data.project_name }}")
    edited = render_email(submitted_row(data=data))

    for subject, text, html in (shipped, edited):
        assert 'Say "hi" & <go>' in subject
        assert 'Say "hi" & <go>' in text
        assert "&quot;" not in subject + text
        assert "&amp;" not in subject + text
        assert "Say &quot;hi&quot; &amp; &lt;go&gt;" in html


def test_render_email_an_edited_text_that_fails_on_a_row_sends_the_shipped_one(caplog):
    # Saved before any row existed, so only compiled and checked, not rendered.
    save(text_body='{% load notification_tags %}{{ data.project_name|label:"planet" }}')

    subject, text, _html = render_email(submitted_row())

    assert subject == "We received your application “Ledger”"
    assert text.startswith("Dear Acme Chain,")
    assert "edited e-mail application_submitted (en) fails" in caplog.text


def test_render_email_reads_rows_written_before_startup_name_existed():
    legacy = {"application": 7, "startup": "Old Chain", "project_name": "Ledger", "round": "R1"}

    _subject, text, _html = render_email(submitted_row(data=legacy))

    assert text.startswith("Dear Old Chain,")


# --- Saving: the sandbox refuses, naming the line -----------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{{ settings.SECRET_KEY }}", "“settings” is not a placeholder of this e-mail"),
        ("{{ notification.provider.webhook_secret }}", "“notification” is not a placeholder"),
        ('{% include "admin/base.html" %}', "“admin/base.html” is not a shipped e-mail template"),
        ("{% include data.template %}", "Name the included template in quotes."),
        ("{% load static %}", "'static' is not a registered tag library"),
        ("{% debug %}", "Invalid block tag on line 3: 'debug'"),
        ('{% url "admin:index" %}', "Invalid block tag on line 3: 'url'"),
        ("{{ data.project_name|safe }}", "Invalid filter: 'safe'"),
        ("{{ data.project_name.__class__ }}", "may not begin with underscores"),
        ("{% if data.round == secret %}x{% endif %}", "“secret” is not a placeholder"),
    ],
)
def test_save_email_template_refuses_what_the_sandbox_forbids_naming_the_line(
    coordinator_client, line, message
):
    response = coordinator_client.post(
        EDIT.format(name="application_submitted", language="en"),
        {
            "subject": "Hello",
            "text_body": f"Dear {{{{ data.startup_name }}}},\n\n{line}\n",
            "_save": "1",
        },
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["text_body"]
    assert error.startswith("Line 3: ")
    assert message in error
    assert EmailTemplate.objects.count() == 0


def test_save_email_template_refuses_extending_a_file_that_is_not_an_email_template():
    with pytest.raises(ValidationError) as refused:
        save(html_body='{% extends "admin/base.html" %}\n{% block content %}x{% endblock %}')

    assert refused.value.message_dict == {
        "html_body": [
            "Line 1: “admin/base.html” is not a shipped e-mail template: only "
            "notifications/email/… can be included or extended."
        ]
    }


def test_admin_edit_preview_escapes_the_data_it_shows(coordinator_client):
    submitted_row(data={**DATA, "project_name": "<script>alert(1)</script>"})

    response = coordinator_client.get(EDIT.format(name="application_submitted", language="en"))

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text  # subject and text


def test_save_email_template_refuses_a_text_that_fails_with_a_recent_rows_data():
    submitted_row()

    with pytest.raises(ValidationError) as refused:
        save(
            subject="Hi", text_body='{% load notification_tags %}\n{{ data.round|label:"planet" }}'
        )

    assert refused.value.message_dict == {"text_body": ["Line 2: KeyError: 'planet'"]}
    assert EmailTemplate.objects.count() == 0


def test_save_email_template_refuses_unknown_templates_languages_and_empty_parts():
    with pytest.raises(ValidationError) as refused:
        services.save_email_template(
            actor=None, name="settings", language="fr", subject=" ", text_body=""
        )

    assert sorted(refused.value.message_dict) == ["language", "name", "subject", "text_body"]


def test_save_email_template_twice_changes_the_one_text():
    save(subject="First")
    save(subject="Second")

    assert list(EmailTemplate.objects.values_list("name", "language", "subject")) == [
        ("application_submitted", "en", "Second")
    ]


# --- The admin page: placeholders, preview, reset, permissions -----------------------------------


def test_admin_overview_links_every_template_and_language(coordinator_client):
    save("zh-hant")

    response = coordinator_client.get(OVERVIEW)

    assert response.status_code == 200
    names = [row["name"] for row in response.context["rows"]]
    assert "application_submitted" in names
    assert "assignment_created" in names
    assert not any(name.startswith("_") or name == "base" for name in names)
    row = next(row for row in response.context["rows"] if row["name"] == "application_submitted")
    assert [(cell["language"], cell["edited"] is not None) for cell in row["cells"]] == [
        ("en", False),
        ("zh-hans", False),
        ("zh-hant", True),
    ]
    assert EDIT.format(name="application_submitted", language="zh-hant") in response.text


def test_admin_edit_starts_from_the_shipped_text_written_out_in_its_language(coordinator_client):
    response = coordinator_client.get(EDIT.format(name="application_submitted", language="zh-hant"))

    form = response.context["form"]
    assert form.initial["subject"] == "我們已收到您的申請「{{ data.project_name }}」"
    assert form.initial["text_body"].startswith("{{ data.startup_name }} 您好：")
    assert "{% blocktranslate" not in form.initial["text_body"]


def test_admin_edit_lists_placeholders_from_the_shipped_text_and_a_recent_row(coordinator_client):
    submitted_row()

    response = coordinator_client.get(EDIT.format(name="application_submitted", language="en"))

    placeholders = {p.path: p.example for p in response.context["placeholders"]}
    assert placeholders["data.project_name"] == "Ledger"
    assert placeholders["data.startup_name"] == "Acme Chain"
    assert placeholders["programme"] == PROGRAMME
    assert placeholders["dates.submitted_at"] == "2026-11-20T02:00:00+00:00"
    assert "data.round" in placeholders


def test_admin_edit_lists_the_items_of_lists_the_shipped_text_reads(coordinator_client):
    response = coordinator_client.get(
        EDIT.format(name="shortlist_published_provider", language="en")
    )

    paths = {p.path for p in response.context["placeholders"]}
    assert {"data.startups", "data.startups[].startup_name", "data.shortlist.name"} <= paths
    assert "programme" in paths


def test_admin_edit_previews_with_a_recent_rows_data(coordinator_client):
    submitted_row("zh-hant")

    page = coordinator_client.get(EDIT.format(name="application_submitted", language="zh-hant"))
    response = coordinator_client.post(
        EDIT.format(name="application_submitted", language="zh-hant"),
        {
            "subject": "{{ data.project_name }}：收到",
            "text_body": "{{ data.startup_name }}，{{ programme }}已收到。",
            "html_body": "",
            "_preview": "1",
        },
    )

    assert page.context["preview"].subject == "我們已收到您的申請「Ledger」"  # what is sent now
    preview = response.context["preview"]
    assert preview.subject == "Ledger：收到"
    assert preview.text == "Acme Chain，粵港澳大灣區區塊鏈藍籌項目聯合孵化計劃已收到。\n"
    assert '<html lang="zh-hant">' in preview.html
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in response.text
    assert EmailTemplate.objects.count() == 0  # a preview saves nothing


def test_admin_edit_without_any_row_says_there_is_no_preview(coordinator_client):
    response = coordinator_client.get(EDIT.format(name="provider_digest", language="en"))

    assert response.context["preview"] is None
    assert "No message of this kind has been written yet" in response.text


def test_admin_edit_saves_and_resets_to_the_shipped_text(coordinator_client, coordinator):
    url = EDIT.format(name="application_submitted", language="en")
    saved = coordinator_client.post(
        url, {"subject": "Got it", "text_body": "Thanks, {{ data.startup_name }}.", "_save": "1"}
    )
    edited = EmailTemplate.objects.get()
    assert (saved.status_code, saved["Location"]) == (302, url)
    assert (edited.subject, edited.updated_by) == ("Got it", coordinator)
    assert render_email(submitted_row())[0] == "Got it"

    reset = coordinator_client.post(url, {"_reset": "1"})

    assert (reset.status_code, reset["Location"]) == (302, url)
    assert EmailTemplate.objects.count() == 0
    assert render_email(submitted_row())[0] == "We received your application “Ledger”"


def test_admin_email_templates_are_for_coordinators_only(client):
    url = EDIT.format(name="application_submitted", language="en")
    force_login_verified(client, ReviewerFactory())

    assert client.get(OVERVIEW).status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, {"subject": "x", "text_body": "y", "_save": "1"}).status_code == 403
    assert client.post(url, {"_reset": "1"}).status_code == 403
    assert EmailTemplate.objects.count() == 0
    client.logout()
    assert client.get(url).status_code == 302  # to the admin's log-in


def test_admin_edit_of_an_unknown_template_or_language_is_404(coordinator_client):
    assert coordinator_client.get(EDIT.format(name="nothing", language="en")).status_code == 404
    assert (
        coordinator_client.get(EDIT.format(name="application_submitted", language="fr")).status_code
        == 404
    )


def test_admin_edit_speaks_the_coordinators_language(coordinator_client):
    coordinator_client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/admin/"})

    page = coordinator_client.get(EDIT.format(name="application_submitted", language="en"))
    refused = coordinator_client.post(
        EDIT.format(name="application_submitted", language="en"),
        {"subject": "Hi", "text_body": "\n{{ settings }}", "_save": "1"},
    )

    assert "佔位符" in page.text
    assert "恢復為系統原有的文字" not in page.text  # nothing edited yet: nothing to reset
    assert refused.context["form"].errors["text_body"] == [
        "第 2 行：「settings」不是此電郵的佔位符："
        "請使用 programme、data.… 或 dates.…（見佔位符列表）。"
    ]
