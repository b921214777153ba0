"""The seeded schemas check out of the box what validation can: an invoice gets a ``subtotal``
beside its ``total`` and ``tax`` (total = subtotal + tax, or a subtotal with the tax in it), and
the dates that cannot lie ahead (an invoice's or receipt's date, a pay date, a statement's
period) are marked ``not_in_future`` (a due date and a contract's effective date may lie
ahead). Only seeded fields still of kind date are marked, and the subtotal is added only to a
type with a ``total``; an admin can change both. Reversed, the marks go and the subtotal
field stays: values of it may be stored."""

from django.db import migrations

# type: [(name, label, kind, required)], after the type's seeded fields (0005)
ADDED_FIELDS = {"invoice": [("subtotal", "Subtotal", "money", False)]}
PAST_DATES = {
    "invoice": ("date",),
    "receipt": ("date",),
    "pay_stub": ("pay_date",),
    "bank_statement": ("period_start", "period_end"),
}


def _mark(apps, value: bool) -> None:
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    for type_name, names in PAST_DATES.items():
        FieldDefinition.objects.filter(
            document_type__name=type_name, name__in=names, kind="date"
        ).update(not_in_future=value)


def seed(apps, schema_editor):
    _mark(apps, True)
    DocumentType = apps.get_model("classification", "DocumentType")
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    for type_name, fields in ADDED_FIELDS.items():
        document_type = DocumentType.objects.filter(name=type_name).first()
        if document_type is None or not document_type.fields.filter(name="total").exists():
            continue
        last = document_type.fields.order_by("-position").values_list("position", flat=True)
        position = (last.first() or 0) + 1
        for offset, (name, label, kind, required) in enumerate(fields):
            FieldDefinition.objects.get_or_create(
                document_type=document_type,
                name=name,
                defaults={
                    "label": label,
                    "kind": kind,
                    "required": required,
                    "position": position + offset,
                },
            )


def unseed(apps, schema_editor):
    _mark(apps, False)


class Migration(migrations.Migration):
    dependencies = [("classification", "0013_document_also_uploaded_by")]
    operations = [migrations.RunPython(seed, unseed)]
