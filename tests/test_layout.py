"""tests/ mirrors the source tree: every test folder names a source folder, so the tests
of `app/core/codecs/ws.py` are found in one guess (`tests/core/codecs/test_ws.py`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# test folders that are not a source folder: shared helpers, the bundle as shipped, and
# hostile-server tests (one module per finding, across layers)
NOT_SOURCE = {"support", "packaging", "hostile"}


def source_of(folder: Path) -> Path:
    parts = folder.relative_to(TESTS).parts
    if parts[0] == "core":
        return ROOT / "app" / Path(*parts)
    if parts[0] in ("gui", "commands", "load"):
        return ROOT / "app" / Path(*parts)
    return ROOT / Path(*parts)  # server_mock/..., benchmarks/...


def test_every_test_folder_mirrors_a_source_folder() -> None:
    folders = [
        p
        for p in TESTS.rglob("*")
        if p.is_dir()
        and p.name != "__pycache__"
        and p.relative_to(TESTS).parts[0] not in NOT_SOURCE
    ]
    assert folders, "no test folders found"
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not source_of(f).is_dir())
    assert missing == [], f"test folders with no source folder of the same name: {missing}"


def test_each_transport_is_found_in_one_guess_per_layer() -> None:
    """codecs/T.py, transports/T.py, sessions/T.py and the codec's tests, for every T."""
    from app.core.sessions import registry

    for t in registry.TRANSPORTS:
        for layer in ("codecs", "transports", "sessions"):
            assert (ROOT / "app" / "core" / layer / f"{t}.py").is_file(), (layer, t)
        assert (TESTS / "core" / "codecs" / f"test_{t}.py").is_file(), t
        mock = ROOT / "server_mock" / t
        assert mock.with_suffix(".py").is_file() or (mock / "__init__.py").is_file(), t


MAX_LINES = 503  # a module past this holds more than one idea: split it by idea


def test_no_module_in_app_or_server_mock_is_over_the_line_limit() -> None:
    sources = [p for folder in ("app", "server_mock") for p in (ROOT / folder).rglob("*.py")]
    assert sources, "no sources found"
    long = sorted(
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in sources
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == [], f"modules over {MAX_LINES} lines: {long}"
