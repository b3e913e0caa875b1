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

__all__ = ["Problem", "Located", "load_yaml", "read_text", "MAX_NODES", "MAX_DEPTH"]

MAX_NODES = 50_000
"""Largest number of YAML nodes (after expanding aliases) a definition file may hold."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists a definition file may have."""
_MERGE_TAG = "tag:yaml.org,2002:merge"

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


class _Refused(Exception):
    """The document cannot be read as a whole; ``problem`` says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class _Builder:
    """Turns composed nodes into plain values, recording lines and duplicate keys."""

    def __init__(self, located: Located, problems: list[Problem]):
        self.located = located
        self.problems = problems
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self.budget = MAX_NODES
        self.open: set[int] = set()  # ids of the mappings and lists being built (loop detection)

    def refuse(self, node: yaml.Node, message: str) -> None:
        raise _Refused(Problem(self.located.path, node.start_mark.line + 1, message))

    def build(self, node: yaml.Node, loc: tuple) -> Any:
        self.budget -= 1
        if self.budget < 0:
            self.refuse(node, f"the document expands to more than {MAX_NODES} values "
                              "(too many aliases?); simplify it")
        self.located.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError) as err:  # e.g. the date 2026-02-30
                self.problems.append(Problem(self.located.path, node.start_mark.line + 1,
                                             f"invalid value {node.value!r}: {err}"))
                return None
        if id(node) in self.open:
            self.refuse(node, "an alias refers to the mapping or list that contains it (a loop); "
                              "remove that alias")
        if len(self.open) >= MAX_DEPTH:
            self.refuse(node, f"values are nested more than {MAX_DEPTH} levels deep; flatten the document")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _key(self, key_node: yaml.Node) -> str | None:
        try:
            key = (self.constructor.construct_object(key_node, deep=True)
                   if isinstance(key_node, yaml.ScalarNode) else None)
        except (ValueError, OverflowError):  # e.g. the key 2026-02-30, read as a date
            key = key_node.value
        if isinstance(key, bool) or not isinstance(key, (str, int, float)):
            self.problems.append(Problem(self.located.path, key_node.start_mark.line + 1,
                                         "a key must be a plain word or number"))
            return None
        return str(key)

    def _mapping(self, node: yaml.MappingNode, loc: tuple) -> dict:
        explicit = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        self.constructor.flatten_mapping(node)  # resolves '<<' merge keys into node.value
        merged = [(k, v) for k, v in node.value[:len(node.value) - len(explicit)]]
        result: dict = {}
        for key_node, value_node in explicit:
            key = self._key(key_node)
            if key is None:
                continue
            if key in result:
                self.problems.append(Problem(
                    self.located.path, key_node.start_mark.line + 1,
                    f"key '{key}' appears twice in the same mapping (first on line "
                    f"{self.located.lines[loc + (key,)]}); keep one"))
                continue
            self.located.lines[loc + (key,)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, loc + (key,))
        for key_node, value_node in merged:  # keys written beside '<<' win, then the first merge
            key = self._key(key_node)
            if key is not None and key not in result:
                self.located.lines[loc + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, loc + (key,))
        return result


def read_text(path: str | Path) -> tuple[str | None, list[Problem]]:
    """A definition file's text, or the problem that prevents reading it."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return None, [Problem(shown, 0, f"cannot read the file: {err.strerror or err}")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"the file is not UTF-8 text (byte {data[err.start]:#04x} at "
                                           "this line); save it as UTF-8")]


def load_yaml(path: str | Path, text: str | None = None) -> tuple[Located | None, list[Problem]]:
    """Read one YAML document; returns it with its line map, or None and the problems found."""
    shown = str(path)
    if text is None:
        text, problems = read_text(path)
        if text is None:
            return None, problems
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        return None, [_syntax_problem(shown, err)]
    except yaml.YAMLError as err:
        return None, [Problem(shown, 0, f"YAML syntax error: {err}")]
    if node is None:
        return None, [Problem(shown, 1, "the file is empty; a definition must be a mapping of keys")]
    located = Located(shown, None)
    problems: list[Problem] = []
    try:
        located.data = _Builder(located, problems).build(node, ())
    except _Refused as refused:
        return None, [refused.problem]
    except yaml.constructor.ConstructorError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        return None, [Problem(shown, line, f"unsupported YAML value: {err.problem}")]
    return located, problems


def _syntax_problem(path: str, err: yaml.MarkedYAMLError) -> Problem:
    mark = err.problem_mark or err.context_mark
    line = mark.line + 1 if mark else 0
    context = err.context or ""
    if err.context_mark and err.problem_mark and err.context_mark.line != err.problem_mark.line:
        context += f" (started on line {err.context_mark.line + 1})"
    what = " ".join(part for part in (context, err.problem) if part)
    return Problem(path, line, f"YAML syntax error: {what}")
