from django.urls import path

from labeling import views

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:document_id>/", views.review, name="review"),
]
