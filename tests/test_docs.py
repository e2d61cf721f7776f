"""The repository's docs stand on their own: no pointers outside it, no broken links.

Text may cite only what the repository holds (`docs/protocols.md`, `docs/architecture.md`,
the code), never notes kept beside a checkout. Relative links in the Markdown files must
reach a file that exists and, for a `#section` of a Markdown file, a heading it has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Built from parts so that this file does not contain what it looks for.
FORBIDDEN = ("../" + "shared", "PROTOCOLS" + ".md", "MEASURED" + ".md")

CODE_DIRS = ("app", "server_mock", "tests", "benchmarks", "packaging")

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)"
)
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
_HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # http:, mailto:, //host


def markdown_files() -> list[Path]:
    """README.md and every Markdown file under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def code_files() -> list[Path]:
    """Every Python file under the code folders."""
    files: list[Path] = []
    for folder in CODE_DIRS:
        files += sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def outside_pointers(text: str) -> list[str]:
    """The forbidden strings `text` contains, one entry per line that has one."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for needle in FORBIDDEN:
            if needle in line:
                found.append(f"{number}: {needle}")
    return found


def _without_code(markdown: str) -> str:
    """`markdown` with fenced blocks and code spans blanked (their text is not links)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", markdown))


def links(markdown: str) -> list[str]:
    """Every link target in `markdown`: inline, reference-style and HTML href/src."""
    text = _without_code(markdown)
    found = _INLINE_LINK.findall(text) + _REFERENCE_LINK.findall(text)
    return found + _HTML_LINK.findall(text)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to -."""
    text = _CODE_SPAN.sub(lambda m: m.group(0).strip("`"), heading.strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of every heading in `markdown`, with GitHub's -1, -2 for repeats."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", markdown)):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """The relative links in the Markdown file `path` that lead nowhere or out of `root`."""
    broken = []
    for target in links(path.read_text(encoding="utf-8")):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target} (no such file)")
            continue
        try:
            dest.relative_to(root)
        except ValueError:
            broken.append(f"{target} (outside the repository)")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text("utf-8")):
            broken.append(f"{target} (no heading #{anchor} in {dest.relative_to(root)})")
    return broken


# -- the repository ----------------------------------------------------------------------


def test_the_docs_exist() -> None:
    for name in ("protocols.md", "architecture.md"):
        assert (ROOT / "docs" / name).is_file(), f"docs/{name} is missing"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_points_only_inside_the_repository(path: Path) -> None:
    found = outside_pointers(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} points outside the repository: {found}"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_links_reach_files_that_exist(path: Path) -> None:
    broken = broken_links(path)
    assert not broken, f"{path.relative_to(ROOT)} has broken links: {broken}"


def test_code_points_only_inside_the_repository() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in code_files()
        if (found := outside_pointers(path.read_text(encoding="utf-8")))
    }
    assert not offenders, "files that point outside the repository:\n" + "\n".join(
        f"  {name}: {', '.join(found)}" for name, found in sorted(offenders.items())
    )


# -- the checks themselves -----------------------------------------------------------------


def test_outside_pointers_finds_each_forbidden_string() -> None:
    text = "\n".join(f"see {needle} for more" for needle in FORBIDDEN) + "\nsee docs/protocols.md"
    assert outside_pointers(text) == [f"{i}: {needle}" for i, needle in enumerate(FORBIDDEN, 1)]


def test_links_finds_inline_reference_and_html_links_but_not_code() -> None:
    markdown = (
        '[a](docs/a.md) ![pic](assets/p.png "title") [b](#sec)\n'
        "[ref]: docs/ref.md\n"
        '<img src="x.png"> `[not](code.md)`\n'
        "```\n[neither](fenced.md)\n```\n"
    )
    assert sorted(links(markdown)) == sorted(
        ["docs/a.md", "assets/p.png", "#sec", "docs/ref.md", "x.png"]
    )


def test_slug_follows_github() -> None:
    assert slug("5. The mock's extensions") == "5-the-mocks-extensions"
    assert slug("7. Signaling errors: fatal and not") == "7-signaling-errors-fatal-and-not"
    assert slug("The `rtprobe` command") == "the-rtprobe-command"
    assert anchors("# Intro\n## Intro\n```\n# not a heading\n```\n") == {"intro", "intro-1"}


def test_broken_links_reports_missing_files_and_headings(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "there.md").write_text("# Present\n", encoding="utf-8")
    page = docs / "page.md"
    page.write_text(
        "[ok](there.md#present) [gone](missing.md) [bad](there.md#absent) "
        "[web](https://example.com/x) [self](#top)\n# Top\n",
        encoding="utf-8",
    )
    assert broken_links(page, root=tmp_path) == [
        "missing.md (no such file)",
        "there.md#absent (no heading #absent in docs/there.md)",
    ]
