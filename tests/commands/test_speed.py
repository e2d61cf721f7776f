"""The one `1|2|max` speed type of `rtprobe replay --speed` and `rtprobe mock --from-speed`."""

from __future__ import annotations

import argparse

import pytest

from app import cli
from app.commands.speed import speed_arg


def test_factors_and_max() -> None:
    assert speed_arg("1") == 1.0 and speed_arg("2.5") == 2.5
    assert speed_arg("max") is None and speed_arg(" MAX ") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [("0", "above 0"), ("-1", "above 0"), ("inf", "above 0"), ("fast", "not a speed")],
)
def test_bad_speeds_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        speed_arg(text)


@pytest.mark.parametrize("command", [["replay", "x.har", "--speed"], ["mock", "--from-speed"]])
def test_both_flags_read_the_same(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args([*command, "fast"])
    assert exit_.value.code == 2
    assert "'fast' is not a speed (1, 2, … or max)" in capsys.readouterr().err
