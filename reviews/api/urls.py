from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import discussion, views
from .reviewers import ReviewerViewSet

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("reviewers", ReviewerViewSet, basename="reviewer")

urlpatterns = [
    *router.urls,
    path("assignments/", views.AssignmentList.as_view(), name="assignment-list"),
    path("reviews/<int:pk>/", views.ReviewDetail.as_view(), name="review-detail"),
    path("reviews/<int:pk>/submit/", views.ReviewSubmit.as_view(), name="review-submit"),
    path("reviews/<int:pk>/reopen/", discussion.ReviewReopen.as_view(), name="review-reopen"),
    path(
        "applications/<int:pk>/comments/",
        discussion.ApplicationComments.as_view(),
        name="application-comments",
    ),
    path("conflicts/", views.ConflictCreate.as_view(), name="conflict-create"),
    # The rounds resource itself lives in incubator/api; these actions are reviewing's.
    path("rounds/<int:pk>/assign/", views.RoundAssign.as_view(), name="round-assign"),
    path("rounds/<int:pk>/ranking/", views.RoundRanking.as_view(), name="round-ranking"),
    path(
        "rounds/<int:pk>/reviewer-statistics/",
        views.RoundReviewerStatistics.as_view(),
        name="round-reviewer-statistics",
    ),
    path("", include("reviews.api.shortlists")),
]
