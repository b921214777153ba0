"""One view for every dashboard page: check the filters, build the page (cached briefly),
render it, or answer ``?csv=<chart or table id>`` with that chart's data as CSV."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import select_template
from django.utils import timezone

from classification.models import DocumentType, ModelEvent
from docsite import roles
from docsite.dashboards import filters as dashboard_filters
from docsite.dashboards.charts import to_csv
from docsite.dashboards.pages import Page

# slug -> (title shown in the tabs, module with build(filters) -> Page)
PAGES: dict[str, tuple[str, str]] = {
    "overview": ("Overview", "docsite.dashboards.overview"),
    "automation": ("Automation", "docsite.dashboards.automation"),
    "model": ("Model", "docsite.dashboards.model"),
    "labeling": ("Labeling", "docsite.dashboards.labeling"),
    "drift": ("Drift", "docsite.dashboards.drift"),
}
CSV_ID = re.compile(r"^[a-z0-9-]{1,60}$")


def builder(slug: str) -> Callable[[dashboard_filters.Filters], Page]:
    build: Callable[[dashboard_filters.Filters], Page] = import_module(PAGES[slug][1]).build
    return build


def build_cached(slug: str, filters: dashboard_filters.Filters) -> Page:
    """The page for these filters, from the cache when built in the last few seconds."""
    seconds = settings.DOCSITE_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return builder(slug)(filters)
    # A promotion, rollback or training adds a model event: the pages show the new state at
    # once instead of up to ``seconds`` later.
    last_event = ModelEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    key = f"dashboards:{slug}:{filters.key}:{timezone.localdate().isoformat()}:{last_event}"
    page: Page | None = cache.get(key)
    if page is None:
        page = builder(slug)(filters)
        cache.set(key, page, seconds)
    return page


@roles.role_required(roles.ADMIN)
def dashboard(request: HttpRequest, slug: str = "overview") -> HttpResponse:
    if slug not in PAGES:
        raise Http404("No such dashboard.")
    filters = dashboard_filters.parse(request.GET)
    page = build_cached(slug, filters)
    wanted = request.GET.get("csv")
    if wanted is not None:
        found = page.downloadable(wanted) if CSV_ID.match(wanted) else None
        if found is None:
            raise Http404("No such chart on this page.")
        response = HttpResponse(to_csv(*found), content_type="text/csv; charset=utf-8")
        name = f"{slug}-{wanted}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    partial = select_template([f"dashboards/_{slug}.html", "dashboards/_none.html"])
    context = {
        "slug": slug,
        "title": PAGES[slug][0],
        "pages": [(key, title) for key, (title, _) in PAGES.items()],
        "filters": filters,
        "page": page,
        "partial": partial.template.name,
        "charts_json": [chart.to_json() for chart in page.charts],
        "types": DocumentType.objects.order_by("label").values_list("name", "label"),
        "generated_at": timezone.now(),
    }
    return render(request, "dashboards/page.html", context, status=400 if filters.errors else 200)
