"""Reasons a person cannot do something now, in Vietnamese and English.

A reason is shown next to a disabled action ("Thiếu biên bản họp xét" / "Missing meeting
minutes"), so it names what is missing or who may act, never an internal error. The texts of
the engine's own reasons live here; guards bring their own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reason", "engine_reason"]


@dataclass(frozen=True)
class Reason:
    """Why an action is blocked: a stable code for programs, text for people, and the field
    the person must fix when there is one (an input's or a document's name, or 'comment')."""

    code: str
    vi: str
    en: str
    field: str | None = None

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi

    def __str__(self) -> str:
        return self.vi


_TEXTS: dict[str, tuple[str, str]] = {
    "role": ("Chỉ {roles_vi} được thực hiện thao tác này",
             "Only {roles_en} may do this"),
    "comment_required": ("Cần nhập ý kiến", "A comment is required"),
    "comment_not_allowed": ("Thao tác này không nhận ý kiến", "This action takes no comment"),
    "comment_invalid": ("Ý kiến có ký tự điều khiển không hợp lệ", "The comment contains control characters"),
    "comment_too_long": ("Ý kiến dài quá {limit} ký tự", "The comment is longer than {limit} characters"),
    "input_missing": ("Thiếu thông tin: {label_vi}", "Missing: {label_en}"),
    "input_invalid": ("Thông tin không hợp lệ: {label_vi} ({problem_vi})",
                      "Invalid value for {label_en} ({problem_en})"),
    "input_unexpected": ("Thông tin không thuộc thao tác này: {name}", "Not an input of this action: {name}"),
    "attachment_missing": ("Thiếu {label_vi_lower}", "Missing {label_en_lower}"),
    "attachment_unexpected": ("Tài liệu không thuộc thao tác này: {name}",
                              "Not a document of this action: {name}"),
    "distinct_proposer": ("Người đề nghị không được tự xử lý bước này",
                          "The proposer may not act on this step"),
    "distinct_previous_actor": ("Người đã xử lý bước trước không được xử lý tiếp bước này",
                                "Whoever acted on the previous step may not act on this one"),
    "guard_failed": ("Chưa đáp ứng điều kiện: {label_vi}", "Condition not met: {label_en}"),
    "unless_holds": ("Không áp dụng khi: {label_vi}", "Does not apply when: {label_en}"),
    "not_here": ("Không thể thực hiện “{trigger}” ở trạng thái “{state_vi}”",
                 "“{trigger}” cannot be done in the state “{state_en}”"),
}


def engine_reason(code: str, field: str | None = None, **params: object) -> Reason:
    """One of the engine's own reasons, its texts filled with ``params``."""
    vi, en = _TEXTS[code]
    return Reason(code, vi.format(**params), en.format(**params), field)
