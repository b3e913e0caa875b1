"""The loader's messages: a corpus of bad workflow definitions, each with the problems it
must report, and a corpus of good ones that must load cleanly.

Every file in ``corpus/bad/`` starts with comments saying what it must give::

    # expect: <line>: <text>     a problem on that line whose message contains <text>
    # unexpected: <text>         no problem message may contain <text>

and must produce no spec. Every file in ``corpus/good/`` must load with no problems.

Where the loader's message is wrong or unhelpful today, the expectation states what a
person editing the file needs and the case is marked ``xfail(strict=True)`` (see
``KNOWN_PROBLEMS``): fixing the loader turns it into an XPASS, which fails until the
marker is removed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import registry_with, write_workflow
from workflow import Registry
from workflow.loader import DEFAULT_ROOT, load_definitions, load_workflow

CORPUS = Path(__file__).parent / "corpus"
BAD = sorted((CORPUS / "bad").glob("*.yaml"))
GOOD = sorted((CORPUS / "good").glob("*.yaml"))

EXPECT = re.compile(r"^#\s*expect:\s*(\d+):\s?(.*?)\s*$")
UNEXPECTED = re.compile(r"^#\s*unexpected:\s*(.*?)\s*$")

# Problems reported with line 0 because they concern the whole file, not one line of it.
FILE_LEVEL: set[str] = set()

# Cases where the loader does not (yet) give what a person editing the file needs.
KNOWN_PROBLEMS: dict[str, str] = {}

# Files whose problems are not all located (line >= 1) and readable today.
UNLOCATED_OR_CRASHING = {"alias_recursive.yaml", "nesting_too_deep.yaml", "impossible_date_value.yaml"}
# Bad files the loader accepts today (so they print nothing).
ACCEPTED_TODAY: set[str] = set()


def _params(paths, known=KNOWN_PROBLEMS, only=None):
    params = []
    for path in paths:
        marks = ()
        if path.name in known and (only is None or path.name in only):
            marks = pytest.mark.xfail(strict=True, reason=known[path.name])
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def directives(path: Path) -> tuple[list[tuple[int, str]], list[str]]:
    """The ``# expect:`` and ``# unexpected:`` lines of a corpus file."""
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    expected, unexpected = [], []
    for line in text.splitlines():
        if m := EXPECT.match(line):
            expected.append((int(m.group(1)), m.group(2)))
        elif m := UNEXPECTED.match(line):
            unexpected.append(m.group(1))
    return expected, unexpected


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = registry_with(dossier_complete=lambda ctx: True, vote_passed=lambda ctx: True)
    registry.hook("notify_unit")(lambda ctx: None)
    registry.duration("posting_days")(lambda ctx: None)
    return registry


@pytest.fixture(scope="module")
def vocabulary():
    return load_definitions(Registry()).vocabulary


def _listing(problems) -> str:
    return "\n".join(str(p) for p in problems) or "(no problems)"


# --- the corpus -------------------------------------------------------------------------

def test_corpus_is_there():
    assert len(BAD) >= 50 and len(GOOD) >= 3
    for path in BAD:
        expected, _ = directives(path)
        assert expected, f"{path.name} has no '# expect: <line>: <text>' comment"


@pytest.mark.parametrize("path", _params(BAD))
def test_bad_definition(path, vocabulary, registry):
    spec, problems = load_workflow(path, vocabulary, registry)
    expected, unexpected = directives(path)
    assert spec is None, f"{path.name} loaded, but must not"
    missing = [f"{line}: {text}" for line, text in expected
               if not any(p.line == line and text in p.message for p in problems)]
    assert not missing, f"expected, not found: {missing}\ngot:\n{_listing(problems)}"
    spurious = [str(p) for p in problems for text in unexpected if text in p.message]
    assert not spurious, f"must not be reported: {spurious}"
    for p in problems:
        assert p.path == str(path)
        assert str(p) == f"{path}:{p.line}: {p.message}"


@pytest.mark.parametrize("path", _params(BAD, only=UNLOCATED_OR_CRASHING))
def test_problems_are_located_and_readable(path, vocabulary, registry):
    _, problems = load_workflow(path, vocabulary, registry)
    for p in problems:
        assert "Traceback" not in p.message and "\n" not in p.message, str(p)
        assert p.line >= 1 or path.name in FILE_LEVEL, f"no line: {p}"


@pytest.mark.parametrize("path", _params(GOOD))
def test_good_definition(path, vocabulary, registry):
    spec, problems = load_workflow(path, vocabulary, registry)
    assert problems == [], _listing(problems)
    assert spec is not None and spec.path == str(path)


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "# only a comment\n"],
                         ids=["zero-bytes", "blank-lines", "spaces", "comment-only"])
def test_empty_file(tmp_path, vocabulary, registry, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    spec, problems = load_workflow(path, vocabulary, registry)
    assert spec is None
    assert [str(p) for p in problems] == [
        f"{path}:1: the file is empty; a definition must be a mapping of keys"]


def test_missing_file(tmp_path, vocabulary, registry):
    spec, problems = load_workflow(tmp_path / "nowhere.yaml", vocabulary, registry)
    assert spec is None and len(problems) == 1
    assert problems[0].line == 0 and problems[0].message.startswith("cannot read the file")


# --- a definitions folder: duplicate ids across files --------------------------------------

MINIMAL = (CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8")


@pytest.fixture
def root(tmp_path) -> Path:
    """A definitions folder with the real vocabulary and calendar, and no workflows yet."""
    for name in ("vocabulary.yaml", "calendar.yaml"):
        shutil.copy(DEFAULT_ROOT / name, tmp_path / name)
    return tmp_path


def test_duplicate_workflow_id_across_files(root, registry):
    first = write_workflow(root, "a_first", MINIMAL)
    second = write_workflow(root, "b_second", "# A copy under another file name.\n"
                                              + MINIMAL.replace("version: 1", "version: 2"))
    loaded = load_definitions(registry, root)
    assert [str(p) for p in loaded.problems] == [
        f"{second}:3: workflow id 'minimal' is already defined in {first}; ids must be unique"]
    assert list(loaded.workflows) == ["minimal"]
    assert loaded.workflows["minimal"].path == str(first)


def test_folder_reports_every_file(root, registry):
    write_workflow(root, "good", MINIMAL)
    for name in ("unknown_role", "typo_transitions_key"):
        shutil.copy(CORPUS / "bad" / f"{name}.yaml", root / "workflows" / f"{name}.yaml")
    loaded = load_definitions(registry, root)
    assert list(loaded.workflows) == ["minimal"]
    assert {Path(p.path).name for p in loaded.problems} == {"unknown_role.yaml",
                                                            "typo_transitions_key.yaml"}


def test_impossible_holiday_date_is_located(root, registry):
    write_workflow(root, "good", MINIMAL)
    calendar = root / "calendar.yaml"
    calendar.write_text("timezone: Asia/Ho_Chi_Minh\nholidays:\n  - {date: 2026-02-30}\n",
                        encoding="utf-8")
    problems = load_definitions(registry, root).problems
    assert any(p.path == str(calendar) and p.line == 3 and "day is out of range" in p.message
               for p in problems), _listing(problems)


# --- the command line ----------------------------------------------------------------------

PROBLEM_LINE = re.compile(r"^(\S+\.ya?ml):(\d+): (.+)$")


@pytest.fixture
def validate(app, cli, registry):
    """``flask --app web workflow validate …`` with the test registry's guards and hooks."""
    app.extensions["laurel"].domain.registry = registry

    def run(*paths: Path):
        result = cli("workflow", "validate", *map(str, paths))
        assert "Traceback" not in result.output
        return result
    return run


def _shown(result) -> dict[str, list[tuple[int, str]]]:
    """The problems printed by ``validate``, by file name."""
    found: dict[str, list[tuple[int, str]]] = {}
    for line in result.output.splitlines():
        if m := PROBLEM_LINE.match(line):
            found.setdefault(Path(m.group(1)).name, []).append((int(m.group(2)), m.group(3)))
    return found


def test_cli_validate_bad_file(validate):
    path = CORPUS / "bad" / "several_problems.yaml"
    result = validate(path)
    assert result.exit_code == 1
    shown = _shown(result)["several_problems.yaml"]
    for line, text in directives(path)[0]:
        assert any(n == line and text in message for n, message in shown), (line, text, result.output)
    assert f"{len(shown)} problems in 1 file." in result.stderr


def test_cli_validate_whole_bad_corpus(validate):
    paths = [p for p in BAD if p.name not in UNLOCATED_OR_CRASHING | ACCEPTED_TODAY]
    result = validate(*paths)
    assert result.exit_code == 1
    shown = _shown(result)
    assert set(shown) == {p.name for p in paths}
    body = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(PROBLEM_LINE.match(line) for line in body[:-1]), result.stderr
    assert body[-1] == f"{sum(map(len, shown.values()))} problems in {len(paths)} files."


@pytest.mark.parametrize("path", _params([CORPUS / "bad" / "alias_recursive.yaml",
                                          CORPUS / "bad" / "nesting_too_deep.yaml"]))
def test_cli_validate_does_not_crash(validate, path):
    result = validate(path)
    assert result.exit_code == 1
    assert _shown(result).get(path.name)


def test_cli_validate_good_corpus(validate):
    paths = [p for p in GOOD if p.name not in KNOWN_PROBLEMS]
    result = validate(*paths)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Valid: {len(paths)} workflow definitions")


def test_cli_validate_duplicate_ids(validate, root):
    first = write_workflow(root, "a_first", MINIMAL)
    write_workflow(root, "b_second", MINIMAL)
    result = validate(root / "workflows")  # a folder of workflow files, checked against the configured root
    assert result.exit_code == 1
    assert _shown(result) == {"b_second.yaml": [
        (2, f"workflow id 'minimal' is already defined in {first}; ids must be unique")]}
