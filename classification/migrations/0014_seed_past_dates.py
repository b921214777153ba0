"""The seeded dates that cannot lie ahead are checked out of the box: an invoice's or receipt's
date, a pay date and a statement's period are marked ``not_in_future`` (a due date and a
contract's effective date may lie ahead). Only seeded fields still of kind date are marked; an
admin can clear the mark.

No subtotal is seeded beside the invoice's total and tax: on real invoices the rules read a
section's subtotal ("Subtotal $ 112.00" of several) or one that includes the tax
(``bench/README.md``), and total = subtotal + tax would then send right invoices to review."""

from django.db import migrations

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


def mark(apps, schema_editor):
    _mark(apps, True)


def unmark(apps, schema_editor):
    _mark(apps, False)


class Migration(migrations.Migration):
    dependencies = [("classification", "0013_document_also_uploaded_by")]
    operations = [migrations.RunPython(mark, unmark)]
