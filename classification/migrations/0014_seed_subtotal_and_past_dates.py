"""The seeded schemas check what the issue's validation names out of the box: an invoice's
``subtotal`` (so that total = subtotal + tax is checked when all three are read), and the dates
that cannot lie in the future (an invoice's or receipt's date, a pay date, a statement's
period) are marked ``not_in_future``. Only seeded fields still of kind date are marked; an
admin can clear the mark, and a type without an invoice's schema gets no subtotal. Reversed,
the marks go and the subtotal field stays: values of it may be stored."""

from django.db import migrations

PAST_DATES = {
    "invoice": ("date",),
    "receipt": ("date",),
    "pay_stub": ("pay_date",),
    "bank_statement": ("period_start", "period_end"),
}


def seed(apps, schema_editor):
    DocumentType = apps.get_model("classification", "DocumentType")
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    for type_name, names in PAST_DATES.items():
        FieldDefinition.objects.filter(
            document_type__name=type_name, name__in=names, kind="date"
        ).update(not_in_future=True)
    invoice = DocumentType.objects.filter(name="invoice").first()
    if invoice is not None and invoice.fields.filter(name="total").exists():
        last = invoice.fields.order_by("-position").values_list("position", flat=True).first()
        FieldDefinition.objects.get_or_create(
            document_type=invoice,
            name="subtotal",
            defaults={
                "label": "Subtotal",
                "kind": "money",
                "required": False,
                "position": (last or 0) + 1,
            },
        )


def unseed(apps, schema_editor):
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    for type_name, names in PAST_DATES.items():
        FieldDefinition.objects.filter(document_type__name=type_name, name__in=names).update(
            not_in_future=False
        )


class Migration(migrations.Migration):
    dependencies = [("classification", "0013_document_also_uploaded_by")]
    operations = [migrations.RunPython(seed, unseed)]
