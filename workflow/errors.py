"""What can go wrong when acting on a workflow instance, with texts for people (vi/en)."""

from __future__ import annotations

from .reasons import Reason

__all__ = ["WorkflowError", "Blocked", "Conflict", "DefinitionError"]


class WorkflowError(Exception):
    """Base of the engine's errors; ``vi``/``en`` are safe to show to the person acting."""

    vi = "Không thực hiện được thao tác"
    en = "The action could not be done"

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi

    def __str__(self) -> str:
        return self.en


class Blocked(WorkflowError):
    """The actor may not fire this trigger now; ``reasons`` say why."""

    def __init__(self, reasons: tuple[Reason, ...]):
        super().__init__()
        self.reasons = tuple(dict.fromkeys(reasons))  # keep order, drop repeats
        self.vi = "; ".join(r.vi for r in self.reasons)
        self.en = "; ".join(r.en for r in self.reasons)


class Conflict(WorkflowError):
    """Someone changed the instance since it was read: nothing was written; reload and retry."""

    vi = "Đã có người xử lý hồ sơ này trước bạn; hãy tải lại trang rồi thử lại"
    en = "Someone acted on this first; reload the page and try again"

    def __init__(self, instance_id: int | None, expected_version: int | None):
        super().__init__()
        self.instance_id = instance_id
        self.expected_version = expected_version

    def __str__(self) -> str:
        return f"{self.en} (instance {self.instance_id}, version {self.expected_version} is stale)"


class DefinitionError(WorkflowError):
    """A workflow definition is missing, invalid or was changed without a new version."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message
        self.vi = self.en = message

    def __str__(self) -> str:
        return self.message
