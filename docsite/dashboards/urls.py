from django.urls import path

from docsite.dashboards import views

urlpatterns = [
    path("", views.dashboard, name="dashboards"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
