"""YAML read with line numbers, so every problem can be reported as ``path:line: message``.

PyYAML composes the document into nodes that carry their position; we turn the nodes into
plain ``dict``/``list``/scalar values and keep, beside them, the line of every value by its
path (a tuple of keys and indexes). Duplicate keys, which PyYAML would silently overwrite,
are reported; alias bombs are cut off by a node budget. Only the safe tag set is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Problem", "Located", "load_yaml", "MAX_NODES"]

MAX_NODES = 50_000
"""Largest number of YAML nodes (after expanding aliases) a definition file may hold."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a definition file, located to a line (1-based; 0 when unknown)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Located:
    """A parsed YAML document and the line of each value, keyed by its path in the document."""

    path: str
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, loc: tuple) -> int:
        """Line of the value at ``loc``, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def problem(self, loc: tuple, message: str) -> Problem:
        return Problem(self.path, self.line_of(loc), message)


class _TooLarge(Exception):
    pass


class _Builder:
    """Turns composed nodes into plain values, recording lines and duplicate keys."""

    def __init__(self, located: Located, problems: list[Problem]):
        self.located = located
        self.problems = problems
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.budget = MAX_NODES

    def build(self, node: yaml.Node, loc: tuple) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge
        self.located.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: tuple) -> dict:
        self.constructor.flatten_mapping(node)  # resolves '<<' merge keys
        result: dict = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                self.problems.append(Problem(self.located.path, key_node.start_mark.line + 1,
                                             "a key must be a plain word or number"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                self.problems.append(Problem(
                    self.located.path, key_node.start_mark.line + 1,
                    f"key '{key}' appears twice in the same mapping (first on line "
                    f"{self.located.lines[loc + (key,)]}); keep one"))
                continue
            self.located.lines[loc + (key,)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, loc + (key,))
        return result


def load_yaml(path: str | Path, text: str | None = None) -> tuple[Located | None, list[Problem]]:
    """Read one YAML document; returns it with its line map, or None and the problems found."""
    shown = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            return None, [Problem(shown, 0, f"the file is not UTF-8 text ({err.reason} at byte {err.start})")]
        except OSError as err:
            return None, [Problem(shown, 0, f"cannot read the file: {err.strerror or err}")]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        what = " ".join(part for part in (err.context, err.problem) if part)
        return None, [Problem(shown, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as err:
        return None, [Problem(shown, 0, f"YAML syntax error: {err}")]
    if node is None:
        return None, [Problem(shown, 1, "the file is empty; a definition must be a mapping of keys")]
    located = Located(shown, None)
    problems: list[Problem] = []
    try:
        located.data = _Builder(located, problems).build(node, ())
    except _TooLarge:
        return None, [Problem(shown, 1, f"the document expands to more than {MAX_NODES} values "
                                        "(too many aliases?); simplify it")]
    except yaml.constructor.ConstructorError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        return None, [Problem(shown, line, f"unsupported YAML value: {err.problem}")]
    except (ValueError, OverflowError) as err:  # e.g. a date like 2026-02-30
        return None, [Problem(shown, 0, f"invalid value: {err}")]
    return located, problems
