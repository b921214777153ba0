from django.contrib import admin

from labeling.models import Adjudication, Skip, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "document", "kind", "state", "priority", "claimed_by", "lease_until")
    list_filter = ("kind", "state")
    raw_id_fields = ("document", "label", "reference_label")


@admin.register(Skip)
class SkipAdmin(admin.ModelAdmin):
    list_display = ("task", "user", "reason", "note", "created_at")
    list_filter = ("reason",)
    raw_id_fields = ("task",)


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ("document", "resolved_type", "resolved_by", "resolved_at", "created_at")
    raw_id_fields = ("document", "first", "second")
