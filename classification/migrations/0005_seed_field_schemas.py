"""Seed the field schemas of the seeded document types (admins edit them afterwards)."""

from django.db import migrations

# type: [(name, label, kind, required)]
SEED_FIELDS = {
    "invoice": [
        ("vendor", "Vendor", "text", True),
        ("invoice_number", "Invoice number", "identifier", True),
        ("date", "Invoice date", "date", True),
        ("due_date", "Due date", "date", False),
        ("total", "Total", "money", True),
        ("currency", "Currency", "currency", False),
        ("tax", "Tax", "money", False),
    ],
    "receipt": [
        ("vendor", "Vendor", "text", True),
        ("date", "Date", "date", True),
        ("address", "Address", "text", False),
        ("total", "Total", "money", True),
    ],
    "bank_statement": [
        ("bank", "Bank", "text", True),
        ("account_number", "Account number (IBAN)", "account", True),
        ("period_start", "Period start", "date", True),
        ("period_end", "Period end", "date", True),
        ("opening_balance", "Opening balance", "money", False),
        ("closing_balance", "Closing balance", "money", True),
    ],
    "pay_stub": [
        ("employer", "Employer", "text", True),
        ("employee", "Employee", "text", True),
        ("pay_date", "Pay date", "date", True),
        ("gross_pay", "Gross pay", "money", True),
        ("net_pay", "Net pay", "money", True),
    ],
    "contract": [
        ("parties", "Parties", "names", True),
        ("effective_date", "Effective date", "date", True),
        ("jurisdiction", "Jurisdiction", "text", False),
        ("term", "Term", "text", False),
    ],
}


def seed(apps, schema_editor):
    DocumentType = apps.get_model("classification", "DocumentType")
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    for type_name, fields in SEED_FIELDS.items():
        document_type = DocumentType.objects.filter(name=type_name).first()
        if document_type is None:
            continue
        for position, (name, label, kind, required) in enumerate(fields):
            FieldDefinition.objects.get_or_create(
                document_type=document_type,
                name=name,
                defaults={
                    "label": label,
                    "kind": kind,
                    "required": required,
                    "position": position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("classification", "0004_fields_and_label_records")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
