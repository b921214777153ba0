from django.urls import path

from labeling import views

urlpatterns = [
    path("", views.queue_overview, name="queue"),
    path("next/", views.queue_next, name="queue_next"),
    path("undo/", views.queue_undo, name="queue_undo"),
    path("task/<int:task_id>/", views.task_page, name="task"),
    path("task/<int:task_id>/submit/", views.task_submit, name="task_submit"),
    path("task/<int:task_id>/skip/", views.task_skip, name="task_skip"),
    path("task/<int:task_id>/release/", views.task_release, name="task_release"),
    path(
        "task/<int:task_id>/similar/<str:token>/",
        views.similar_thumbnail,
        name="similar_thumbnail",
    ),
    path("adjudications/", views.adjudications, name="adjudications"),
    # The address documents' pages link to ("Assign a type"); the queue decides the order now.
    path("<int:document_id>/", views.document_review, name="review"),
]
