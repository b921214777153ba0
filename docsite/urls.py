from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.defaults import bad_request, server_error

from docsite import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", health.metrics, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("review/", include("labeling.urls")),
    path("dashboards/", include("docsite.dashboards.urls")),
    path("", include("docsite.api.urls")),
    path("", include("classification.urls")),
]


def handler500(request: HttpRequest) -> HttpResponse:
    """The API's error format under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        from docsite.api.errors import server_error_body

        return JsonResponse(server_error_body(), status=500)
    return server_error(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view runs (too many fields or files, a body over
    its limits): the API's error format under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        from docsite.api.errors import body

        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            message = "The request has too many fields or files."
        elif isinstance(exception, RequestDataTooBig):
            message = "The request's form data is over the size limit (files aside)."
        else:
            message = "The request could not be read."
        return JsonResponse(body("bad_request", message), status=400)
    return bad_request(request, exception)
