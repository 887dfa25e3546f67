"""Steps that several browser tests take: logging in to the portal, and building a start-up's
team through the team page and the invitation e-mails' links."""

import re

from notifications.emails import render_row
from notifications.models import Notification

PASSWORD = "Pearl-River-2026"


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill the portal's log-in form (on the page already open) and send it."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stacked button[type=submit]")


def link_for(address: str) -> str:
    """The link of the invitation e-mail to `address`, as its reader gets it."""
    row = Notification.objects.filter(event="invitation.sent", recipient=address).latest("pk")
    _subject, text, _html = render_row(row).parts()
    return re.search(r"https?://\S+/invitations/[\w-]+/", text).group(0)


def invite(owner, address: str) -> None:
    """The owner, on the team page, invites `address`; the page then lists the invitation."""
    owner.fill("#id_email", address)
    owner.click("form.stacked button[type=submit]")
    owner.wait_for_selector(f"[data-invitation='{address}']")


def open_invitation_and_log_in(page, address: str, username: str) -> None:
    """An existing user opens the e-mail's link and logs in: the page then offers to accept."""
    page.goto(link_for(address))
    page.click("main a[href^='/login/']")
    log_in(page, username)
    page.wait_for_selector("main form button[type=submit]")


def accept(page) -> None:
    """Accept the invitation on the page (after `open_invitation_and_log_in`)."""
    page.click("main form button[type=submit]")
    page.wait_for_url("**/startup/team/")


def fill_sign_up(page, address: str, username: str) -> None:
    """A newcomer opens the e-mail's link and fills the sign-up form it shows (not sent)."""
    page.goto(link_for(address))
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)


def sign_up_and_join(page) -> None:
    """Send the sign-up form of `fill_sign_up`: the newcomer joins the team in the same step."""
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/startup/team/")
