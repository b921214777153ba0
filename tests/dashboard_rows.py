"""A small, varied history for the dashboards' browser test: a week of documents in every
status, pages, predictions of an active model and an older one, people's labels by two
labelers, QA checks, second opinions, skips and a live worker. Rows only: no files, no OCR."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from classification.models import (
    Document,
    DocumentType,
    Label,
    ModelVersion,
    Page,
    Prediction,
    WorkerHeartbeat,
)
from labeling.models import Skip, Task


def _metrics(types: list[str], macro_f1: float, ece: float) -> dict[str, object]:
    n = len(types)
    confusion = [
        [8 if i == j else (1 if j == (i + 1) % n else 0) for j in range(n)] for i in range(n)
    ]
    return {
        "accuracy": round(macro_f1 + 0.02, 4),
        "macro_f1": macro_f1,
        "ece": ece,
        "ece_before": round(ece * 2, 4),
        "classes": types,
        "confusion": confusion,
        "per_class": {
            name: {"precision": 0.8, "recall": 0.9, "f1": 0.85, "support": 9} for name in types
        },
        "thresholds": {
            "target_precision": 0.98,
            "global": 0.9,
            "per_class": {name: 0.85 + 0.03 * i for i, name in enumerate(types)},
        },
        "reliability": [
            {"low": 0.6, "high": 0.8, "count": 10, "confidence": 0.7, "accuracy": 0.6},
            {"low": 0.8, "high": 1.0, "count": 30, "confidence": 0.9, "accuracy": 0.93},
        ],
        "coverage": [
            {"target": t, "share": s, "precision": p}
            for t, s, p in ((0.9, 0.9, 0.92), (0.95, 0.8, 0.96), (0.98, 0.6, 0.985))
        ],
    }


def seed(labelers: list[User], documents: int = 80, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    types = list(DocumentType.objects.filter(active=True).order_by("name")[:4])
    names = [t.name for t in types]
    counts = {"human_per_class": {n: 12 for n in names}, "human_train": 40, "validation": 8}
    old = ModelVersion.objects.create(
        state=ModelVersion.State.RETIRED, metrics=_metrics(names, 0.71, 0.06), counts=counts
    )
    active = ModelVersion.objects.create(
        state=ModelVersion.State.ACTIVE,
        metrics=_metrics(names, 0.84, 0.03),
        counts={**counts, "human_train": 64, "validation": 16},
        promoted_at=now,
    )
    ModelVersion.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=5))
    for i in range(documents):
        when = now - timedelta(hours=rng.randrange(0, 24 * 6))
        kind = types[rng.randrange(len(types))]
        status = rng.choices(
            [Document.Status.CLASSIFIED, Document.Status.NEEDS_REVIEW, Document.Status.FAILED],
            weights=[6, 3, 1],
        )[0]
        document = Document.objects.create(
            sha256=f"{seed:04d}{i:060d}",
            original_name=f"doc-{i}.pdf",
            original_path=f"originals/doc-{i}.pdf",
            mime_type="application/pdf",
            size_bytes=1000,
            page_count=1 + i % 3,
            status=status,
            error_message="PDF is encrypted" if status == Document.Status.FAILED else "",
            document_type=kind if status == Document.Status.CLASSIFIED else None,
            type_confidence=0.9 if status != Document.Status.FAILED else None,
            processed_at=when,
            processing_seconds=2.0,
        )
        Document.objects.filter(pk=document.pk).update(created_at=when - timedelta(minutes=1))
        for number in range(1, document.page_count + 1):
            Page.objects.create(
                document=document,
                number=number,
                image_path="",
                thumbnail_path="",
                width=100,
                height=140,
                ocr_seconds=1.5,
            )
        if status == Document.Status.FAILED:
            continue
        confidence = rng.uniform(0.55, 0.99)
        prediction = Prediction.objects.create(
            document=document,
            model_version=active,
            document_type=kind,
            confidence=confidence,
            probabilities={kind.name: confidence},
        )
        Prediction.objects.filter(pk=prediction.pk).update(created_at=when)
        if status == Document.Status.CLASSIFIED:
            label = Label.objects.create(
                document=document,
                document_type=kind,
                provenance=Label.Provenance.AUTO,
                model_version=active,
                confidence=confidence,
            )
            Label.objects.filter(pk=label.pk).update(created_at=when)
            if i % 10 == 0:
                task = Task.objects.create(
                    document=document,
                    kind=Task.Kind.QA,
                    state=Task.State.DONE,
                    reference_type=kind,
                    completed_by=labelers[i % len(labelers)],
                    completed_at=when,
                    agreed=i % 30 != 0,
                )
            continue
        task = Task.objects.create(document=document, kind=Task.Kind.REVIEW, suggested_type=kind)
        if i % 2 == 0:
            person = labelers[(i // 2) % len(labelers)]
            label = Label.objects.create(
                document=document,
                document_type=kind,
                provenance=Label.Provenance.HUMAN,
                labeled_by=person,
                seconds_spent=rng.uniform(4, 40),
                suggested_type=kind,
                suggestion_accepted=i % 4 == 0,
            )
            Label.objects.filter(pk=label.pk).update(created_at=when + timedelta(minutes=5))
            Task.objects.filter(pk=task.pk).update(
                state=Task.State.DONE, label=label, completed_by=person, completed_at=when
            )
            if i % 4 == 0 and len(labelers) > 1:
                # A blind second opinion by the other labeler; one in three disagrees.
                other = labelers[((i // 2) + 1) % len(labelers)]
                given = kind if i % 3 else types[(types.index(kind) + 1) % len(types)]
                second = Label.objects.create(
                    document=document,
                    document_type=given,
                    provenance=Label.Provenance.HUMAN,
                    labeled_by=other,
                    seconds_spent=rng.uniform(4, 40),
                    second_opinion=True,
                )
                Label.objects.filter(pk=second.pk).update(created_at=when + timedelta(minutes=9))
                Task.objects.create(
                    document=document,
                    kind=Task.Kind.OVERLAP,
                    state=Task.State.DONE,
                    reference_type=kind,
                    reference_label=label,
                    label=second,
                    completed_by=other,
                    completed_at=when + timedelta(minutes=9),
                    agreed=given == kind,
                )
        elif i % 3 == 0:
            Skip.objects.create(
                task=task, user=labelers[0], reason=Skip.Reason.UNREADABLE, note="blurred"
            )
    WorkerHeartbeat.objects.create(
        cluster_id="browser-test-cluster",
        name="docsite",
        host="localhost",
        pid=1,
        status="Idle",
        workers=2,
        started_at=now - timedelta(hours=1),
        last_seen=now,
    )
