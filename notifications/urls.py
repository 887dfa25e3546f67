"""The outbox's pages outside the admin and the API: the health endpoint."""

from django.urls import path

from .views import health

urlpatterns = [path("", health, name="health")]
