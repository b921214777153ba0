"""Train the classifier now, in this process: ``manage.py train [--force]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification import learning
from classification.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Train a classifier on the human labels, gate it against the active model and promote "
        "or reject it. Exits 0 when a model was trained (promoted or rejected) or the labels "
        "did not change; 1 when another training is running, there are too few labels, or "
        "training failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Train even when no label changed")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = learning.train_model("command", force=options["force"])
        except Exception as exc:
            raise CommandError(f"Training failed: {exc}") from exc
        if outcome.outcome not in ("promoted", "rejected", "unchanged"):
            raise CommandError(f"{outcome.outcome}: {outcome.message}")
        self.stdout.write(f"{outcome.outcome}: {outcome.message}")
        if outcome.trained and outcome.version is not None:
            self.stdout.write(summary(outcome.version))


def summary(version: ModelVersion) -> str:
    """A few lines of the version's held-out figures."""
    metrics, counts = version.metrics, version.counts
    thresholds = metrics.get("thresholds") or {}
    precision = metrics.get("auto_accept_precision")
    per_class = metrics.get("per_class_f1") or {}
    lines = [
        f"model v{version.pk} ({version.state}), {version.duration_seconds or 0:.1f} s",
        f"  human labels: {counts.get('human_train', 0)} training, "
        f"{counts.get('validation', 0)} held out; pseudo-labels: "
        f"{counts.get('pseudo_labels', 0)} of {counts.get('unlabeled', 0)} unlabeled",
        f"  held-out accuracy {metrics.get('accuracy', 0):.3f}, "
        f"macro-F1 {metrics.get('macro_f1', 0):.3f}, "
        f"ECE {metrics.get('ece_before', 0):.3f} -> {metrics.get('ece', 0):.3f} "
        f"(temperature {metrics.get('temperature', 1):.2f})",
        f"  auto-accept rate {metrics.get('auto_accept_rate', 0):.3f}, precision "
        + (learning.probability_text(precision) if precision is not None else "n/a")
        + ", global threshold "
        + learning.probability_text(float(thresholds.get("global", 1.000001))),
    ]
    if per_class:
        lines.append(
            "  per-type F1: "
            + ", ".join(f"{name} {f1:.2f}" for name, f1 in sorted(per_class.items()))
        )
    return "\n".join(lines)
