from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from classification.models import (
    Document,
    DocumentType,
    FieldDefinition,
    FieldMemory,
    Label,
    ModelVersion,
    Page,
    Prediction,
)
from classification.types import FIELD_ATTRIBUTES, fields_with_data


class FieldDefinitionFormSet(BaseInlineFormSet):
    """A field that holds values on documents or corrections cannot be deleted here (it would
    delete them with it), nor change kind (they would no longer read as it), as the API
    refuses both: keep it, or retire the type."""

    def clean(self) -> None:
        super().clean()
        deleted = [form.instance.pk for form in self.deleted_forms if form.instance.pk]
        in_use = fields_with_data(FieldDefinition.objects.filter(pk__in=deleted))
        if in_use:
            raise ValidationError(
                f"These fields hold values on documents and cannot be deleted: "
                f"{', '.join(in_use)}. Keep them, or retire the type."
            )
        rekinded = [
            form.instance.pk
            for form in self.forms
            if form.instance.pk and form not in self.deleted_forms and "kind" in form.changed_data
        ]
        in_use = fields_with_data(FieldDefinition.objects.filter(pk__in=rekinded))
        if in_use:
            raise ValidationError(
                f"These fields hold values on documents and cannot change kind: "
                f"{', '.join(in_use)}. Add a field of the new kind instead."
            )


class FieldDefinitionInline(admin.TabularInline):
    """A type's field schema, edited on the type's page."""

    model = FieldDefinition
    formset = FieldDefinitionFormSet
    fields = ("position", *FIELD_ATTRIBUTES)
    extra = 1


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "active", "created_at")
    list_editable = ("active",)
    search_fields = ("name", "label")
    inlines = [FieldDefinitionInline]


class PageInline(admin.TabularInline):
    model = Page
    fields = ("number", "width", "height", "mean_confidence", "ocr_seconds")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "status", "document_type", "page_count", "created_at")
    list_filter = ("status", "document_type", "mime_type")
    search_fields = ("original_name", "sha256")
    readonly_fields = (
        "sha256",
        "original_path",
        "mime_type",
        "size_bytes",
        "page_count",
        "attempts",
        "processing_started_at",
        "processed_at",
        "processing_seconds",
        "created_at",
        "updated_at",
    )
    inlines = [PageInline]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = (
        "document",
        "document_type",
        "provenance",
        "labeled_by",
        "seconds_spent",
        "suggestion_accepted",
        "second_opinion",
        "created_at",
    )
    list_filter = ("provenance", "second_opinion", "document_type")
    raw_id_fields = ("document",)


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("document", "document_type", "confidence", "model_version", "created_at")
    raw_id_fields = ("document",)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "state", "created_at", "promoted_at", "duration_seconds")
    list_filter = ("state",)


@admin.register(FieldMemory)
class FieldMemoryAdmin(admin.ModelAdmin):
    """What corrections taught per layout; delete one that learned something wrong."""

    list_display = ("field", "fingerprint", "example", "uses", "updated_at")
    list_filter = ("field__document_type",)
    search_fields = ("fingerprint", "example")
    raw_id_fields = ("source_document",)
    readonly_fields = ("anchor", "created_at", "updated_at")
