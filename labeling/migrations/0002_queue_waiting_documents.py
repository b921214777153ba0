"""Put every document already waiting for review into the new task queue."""

from django.db import migrations

UNKNOWN = 2.0  # labeling.priority.UNKNOWN: nothing known yet; re-scored when next routed


def enqueue(apps, schema_editor):
    Document = apps.get_model("classification", "Document")
    Task = apps.get_model("labeling", "Task")
    # Oldest first: tasks of equal priority are served in id order.
    waiting = (
        Document.objects.filter(status="needs_review").order_by("pk").values_list("pk", flat=True)
    )
    Task.objects.bulk_create(
        (Task(document_id=pk, kind="review", priority=UNKNOWN) for pk in waiting.iterator()),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("labeling", "0001_initial")]
    operations = [migrations.RunPython(enqueue, migrations.RunPython.noop)]
