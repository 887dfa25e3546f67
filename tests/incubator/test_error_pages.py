"""403 and 404 pages: the admin's frame with a way back for staff under /admin/."""

import pytest

from tests.factories import CoordinatorFactory, ReviewerFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def test_error_page_404_for_staff_in_the_admin_frame(client):
    force_login_verified(client, CoordinatorFactory(username="grace"))
    response = client.get("/admin/reviews/review/ranking/", {"round": "999999"})
    page = response.content.decode()
    assert response.status_code == 404
    assert '<div class="breadcrumbs"><a href="/admin/">Home</a> › Page not found</div>' in page
    assert '<a class="button" id="error-way-back" href="/admin/">' in page
    assert 'id="user-tools"' in page


def test_error_page_403_for_staff_in_the_admin_frame(client):
    force_login_verified(client, ReviewerFactory(username="ada"))
    response = client.get("/admin/reviews/review/ranking/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in page
    assert '<a class="button" id="error-way-back" href="/admin/">' in page


def test_error_page_404_outside_the_admin_in_the_portal_frame(client):
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'id="user-tools"' not in page
    assert 'id="error-way-back" href="/"' in page


def test_error_page_404_in_chinese(client):
    force_login_verified(client, CoordinatorFactory(username="grace"))
    response = client.get("/admin/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 404
    assert "找不到頁面" in response.content.decode()
