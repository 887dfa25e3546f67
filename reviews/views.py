"""The coordinator dashboard: a page of charts for one round (DESIGN.md section 6: coordinators)."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from incubator.display import round_score
from incubator.models import Round
from incubator.permissions import is_coordinator
from notifications.selectors import outbox_counts

from . import charts
from .dashboard import extra_cards, round_dashboard


def coordinator_dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not is_coordinator(request.user):
        raise PermissionDenied
    if not admin.site.has_permission(request):  # no second factor given in this session yet
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    rounds = list(Round.objects.order_by("-opens_at", "-id").only("id", "name", "opens_at"))
    chosen = rounds[0] if rounds else None
    if request.GET.get("round"):
        chosen = next((r for r in rounds if str(r.pk) == request.GET["round"]), None)
        if chosen is None:
            raise Http404(_("No such round."))
    context = {
        **admin.site.each_context(request),
        "title": _("Coordinator dashboard"),
        "rounds": rounds,
        "chosen": chosen,
        # The outbox, whatever the round: messages that wait too long or gave up need a person.
        "outbox": outbox_counts(),
    }
    if chosen is not None:
        data = round_dashboard(round=chosen)
        context.update(
            data=data,
            extra_cards=extra_cards(request, chosen),
            funnel=charts.funnel_chart(
                [(bar.key, bar.label, bar.value) for bar in data.by_status],
                title=_("Applications by status"),
            ),
            regions=charts.bar_chart(
                [(bar.label, bar.value) for bar in data.by_region],
                title=_("Applications by region"),
                total=data.total,
                css_class="bar region",
            ),
            tracks=charts.bar_chart(
                [(bar.label, bar.value) for bar in data.by_track],
                title=_("Applications by track"),
                total=data.total,
                css_class="bar track-bar",
            ),
            progress=charts.progress_chart(
                [(r.name, r.assigned, r.submitted) for r in data.reviewers],
                title=_("Review progress per reviewer"),
            ),
            scores=charts.column_chart(
                [(bar.label, bar.value) for bar in data.score_bands],
                title=_("Distribution of raw scores"),
            ),
            flagged_chart=charts.bar_chart(
                [(f.project_name, round_score(f.spread or 0.0)) for f in data.flagged],
                title=_("Spread of the flagged applications"),
                css_class="bar flagged",
            ),
        )
    return TemplateResponse(request, "reviews/dashboard.html", context)
