"""Seed the document types of a new deployment and the three role groups."""

from django.db import migrations

SEED_TYPES = [
    ("invoice", "Invoice", "A bill from a supplier asking for payment."),
    ("receipt", "Receipt", "Proof of a payment made, from a shop or a till."),
    ("bank_statement", "Bank statement", "Transactions and balances of an account for a period."),
    ("pay_stub", "Pay stub", "An employee's pay for a period, with gross, deductions and net."),
    ("contract", "Contract", "An agreement between parties, often several pages."),
    ("tax_form", "Tax form", "A return, assessment or other form of a tax authority."),
    ("id_document", "ID document", "A passport, identity card or driving licence."),
    ("letter", "Letter", "Correspondence from a sender to a recipient."),
    ("form", "Form", "A form with fields to fill in."),
    ("other", "Other", "Anything that is none of the above."),
]
ROLE_GROUPS = ["admin", "uploader", "labeler"]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("classification", "DocumentType")
    Group = apps.get_model("auth", "Group")
    for name, label, description in SEED_TYPES:
        DocumentType.objects.get_or_create(
            name=name, defaults={"label": label, "description": description}
        )
    for group in ROLE_GROUPS:
        Group.objects.get_or_create(name=group)


class Migration(migrations.Migration):
    dependencies = [
        ("classification", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
