"""The wording of official documents (``definitions/documents/wording.yaml``): per issuing
body, over a default, checked like every definition file (``path:line: message``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from ..loader import load_model
from ..schema import Strict, Text
from ..yamlsource import Problem

__all__ = ["Wording", "WordingFile", "load_wording", "wording_for"]

Lines = Annotated[list[Text], Field(min_length=1, max_length=4)]


class Wording(Strict):
    """Every key is optional here; the default and a body's entry are merged."""

    national_heading: Lines | None = None
    issuer: Lines | None = None
    authority: Text | None = None
    verbs: dict[str, Text] | None = None
    subject: Text | None = None
    legal_bases: list[Annotated[str, Field(min_length=1, max_length=1000)]] | None = None
    proposal: Text | None = None
    article_1: Text | None = None
    article_2: Text | None = None
    article_3: Text | None = None
    revocation_subject: Text | None = None
    revocation_article_1: Text | None = None
    revocation_article_2: Text | None = None
    revocation_article_3: Text | None = None
    recipients: list[Text] | None = None
    annex_title: Text | None = None
    annex_columns: dict[str, Text] | None = None
    signature: Lines | None = None
    seal: Text | None = None
    minutes_title: Text | None = None
    minutes_signatures: Lines | None = None
    certificate_title: dict[str, Text] | None = None  # by award kind: title | form
    certificate_lead: dict[str, Text] | None = None
    certificate_opening: Text | None = None


class WordingFile(Strict):
    default: Wording
    bodies: dict[str, Wording] = {}


def load_wording(path: Path) -> tuple[WordingFile | None, list[Problem]]:
    return load_model(path, WordingFile)


def wording_for(wording: WordingFile, body_code: str) -> dict:
    """The default merged with the body's own entries."""
    merged = wording.default.model_dump()
    merged.update({k: v for k, v in (wording.bodies.get(body_code) or Wording()).model_dump().items()
                   if v is not None})
    return merged
