"""Fixtures of the partner tests: a fund and a training provider with one user each, and a
start-up shortlisted in a published shortlist that shares with fund providers only."""

import pytest
from django.utils import timezone

from applications.enums import ApplicationStatus
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    PartnerFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)


@pytest.fixture
def round_():
    return RoundFactory(name="2026 Autumn intake")


@pytest.fixture
def fund_provider():
    return ServiceProviderFactory(name="Bay Capital", kind="fund", email="deals@bay.example")


@pytest.fixture
def training_provider():
    return ServiceProviderFactory(name="Skills Hub", kind="training")


@pytest.fixture
def fund_partner(fund_provider):
    return PartnerFactory(username="fiona", provider=fund_provider)


@pytest.fixture
def training_partner(training_provider):
    return PartnerFactory(username="tom", provider=training_provider)


@pytest.fixture
def founder():
    user = UserFactory(username="founder")
    StartupFactory(name="Pearl River Ledger", members=[user], contact_email="hi@ledger.example")
    return user


@pytest.fixture
def published(round_):
    return ShortlistFactory(round=round_, name="Finalists", published_at=timezone.now())


@pytest.fixture
def shared(founder, round_, published):
    """Shortlisted in a published shortlist; needs fund and training, shares with fund only."""
    application = ApplicationFactory(
        startup=founder.startups.get(),
        round=round_,
        project_name="Trade ledger",
        status=ApplicationStatus.SHORTLISTED,
        needs_fund=True,
        needs_training=True,
        share_fund=True,
        share_training=False,
    )
    ShortlistEntryFactory(shortlist=published, application=application, rank=1)
    return application


@pytest.fixture
def coordinator():
    return CoordinatorFactory(username="grace")
