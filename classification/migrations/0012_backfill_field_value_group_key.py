"""The addresses stored before ``group_key`` existed get their key (``extraction.consensus``), so
a deployment's documents count among the readings of their place from the start, not only once
extracted again."""

from typing import Any

from django.db import migrations

from classification.extraction import consensus
from classification.extraction.fields import names_issuer


def backfill(apps: Any, schema_editor: Any) -> None:
    FieldValue = apps.get_model("classification", "FieldValue")
    FieldDefinition = apps.get_model("classification", "FieldDefinition")
    definitions = list(FieldDefinition.objects.all())
    issuers = [d.pk for d in definitions if names_issuer(d.name, d.kind)]
    addresses = [d.pk for d in definitions if consensus.applies(d.name, d.kind)]
    if not addresses:
        return
    vendors = dict(
        FieldValue.objects.filter(field_id__in=issuers).values_list("document_id", "value")
    )
    rows = FieldValue.objects.filter(field_id__in=addresses, source="rule", group_key="")
    for row in rows.iterator():
        key = consensus.place_key(row.raw, consensus.vendor_key(vendors.get(row.document_id)))
        if key:
            FieldValue.objects.filter(pk=row.pk).update(group_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("classification", "0011_field_value_group_key"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
