from typing import Any

from django.apps import AppConfig


def _routed(sender: Any, document_id: int, outcome: str, **kwargs: Any) -> None:
    from labeling import queue

    queue.document_routed(document_id, outcome, **kwargs)


class LabelingConfig(AppConfig):
    name = "labeling"
    verbose_name = "Labeling"

    def ready(self) -> None:
        from classification.signals import document_routed

        document_routed.connect(_routed, dispatch_uid="labeling.queue")

        from classification.access import register_blind_scope, register_labeler_scope
        from labeling.visibility import blind_scope, labeler_scope

        register_labeler_scope(labeler_scope)
        register_blind_scope(blind_scope)
