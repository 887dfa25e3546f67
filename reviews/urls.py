from django.urls import path

from .views import coordinator_dashboard

urlpatterns = [path("", coordinator_dashboard, name="coordinator-dashboard")]
