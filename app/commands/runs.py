"""`rtprobe runs list|show|diff|export|delete`: the run history from the command line.

Every `rtprobe run` (and every GUI run) is stored in the history database
(app/core/history); these commands read it. Run ids are the numbers `runs list` shows,
or `last`, `last~1` (the one before), … Exit codes: 0 ok; 1 a `--fail-if` was hit
(`runs diff`) or the history could not be used; 2 bad arguments (an unknown run id,
a bad date or expression, a file that cannot be written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from app.core.errors import ProbeError, TargetError
from app.core.history import HistoryError, HistoryStore, RunRow, StoredRun
from app.core.history.compare import Compared, Comparison, failures, parse_fail_if
from app.core.report.fmt import fmt_ms
from app.core.targets import TRANSPORTS

PROG = "rtprobe runs"
_LAST = re.compile(r"^last(?:~(\d+))?$")
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def when(text: str) -> datetime:
    """An argparse type: ISO date/time (local time unless it says otherwise) or an age
    like `2h`, `7d` (that long ago)."""
    m = _AGO.match(text.strip().lower())
    if m:
        return datetime.now().astimezone() - timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write 2026-12-01, 2026-12-01T14:30 or an age like 2h, 7d"
        ) from None


def add_parser(sub: Any, types: dict[str, Callable[[str], Any]]) -> None:
    p = sub.add_parser(
        "runs",
        help="list, show, compare, export and delete stored runs",
        description="The run history: every `rtprobe run` and GUI run, in a SQLite file "
        "($RTPROBE_HISTORY, else the user's data directory). IDS are numbers from `runs "
        "list`, or last, last~1, …",
        epilog="Exit codes: 0 ok; 1 a --fail-if was hit or the history could not be used; "
        "2 bad arguments.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--history", metavar="PATH", default=argparse.SUPPRESS, help="the history database file"
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="as JSON")
    p.add_argument("--history", metavar="PATH", help="the history database file")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    actions = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)

    ls = actions.add_parser("list", parents=[common], help="stored runs, newest first")
    ls.add_argument("--target", help="runs whose target contains this")
    ls.add_argument(
        "--transport", choices=list(TRANSPORTS), metavar="T", help="realtime | ws | sse | webrtc"
    )
    ls.add_argument("--since", type=when, metavar="DATE", help="started at or after DATE")
    ls.add_argument("--until", type=when, metavar="DATE", help="started at or before DATE")
    ls.add_argument("--limit", type=types["count"], metavar="N", help="at most N runs")

    show = actions.add_parser("show", parents=[common], help="one run's settings and summary")
    show.add_argument("id", metavar="ID")

    diff = actions.add_parser(
        "diff",
        parents=[common],
        help="compare runs against the first (the baseline)",
        description="p50/p90/p99/p99.9/max, errors and throughput of each run, with the "
        "change in percent against the first. Exit 1 when a --fail-if rule is hit.",
    )
    diff.add_argument("ids", nargs="+", metavar="ID")
    diff.add_argument(
        "--fail-if",
        action="append",
        default=[],
        metavar="EXPR",
        help="e.g. 'p99>+10%%' (grew over 10 %% vs the baseline), 'rate<-5%%', 'errors>0', "
        "'p99>50ms'",
    )

    export = actions.add_parser(
        "export", parents=[common], help="write a run's report (.json, .html or .csv)"
    )
    export.add_argument("id", metavar="ID")
    export.add_argument("file", metavar="FILE")

    delete = actions.add_parser("delete", parents=[common], help="remove runs")
    delete.add_argument("ids", nargs="+", metavar="ID")


def resolve_id(store: HistoryStore, text: str) -> int:
    """A run id from `text`: a number, `last` or `last~N`; TargetError when absent."""
    text = text.strip()
    m = _LAST.match(text)
    if m:
        back = int(m.group(1) or 0)
        ids = store.ids()
        if back >= len(ids):
            raise TargetError(f"no run {text!r}: the history holds {len(ids)} run(s)")
        return ids[back]
    try:
        return int(text)
    except ValueError:
        raise TargetError(f"{text!r} is not a run id (a number, last or last~N)") from None


def _get(store: HistoryStore, text: str) -> StoredRun:
    run_id = resolve_id(store, text)
    try:
        return store.get(run_id)
    except KeyError:
        raise TargetError(f"no run {run_id} in {str(store.path)!r}") from None


def _local(dt: datetime) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_rows(rows: Sequence[RunRow]) -> str:
    head = (
        f"{'id':>5}  {'started':<19}  {'src':<3}  {'transport':<8}  {'state':<8}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'sent':>8}{'errors':>7}{'msg/s':>9}  target"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.id:>5}  {_local(r.started):<19}  {r.source:<3}  {r.transport:<8}  {r.state:<8}"
            f"{fmt_ms(r.p50):>9}{fmt_ms(r.p99):>9}{r.sent:>8}{r.errors:>7}{r.rate:>9.1f}"
            f"  {r.target}" + ("  (find-max)" if r.kind == "find-max" else "")
        )
    return "\n".join(lines)


def format_run(run: StoredRun) -> str:
    from app.commands.run import format_summary

    r = run.row
    lines = [f"run {r.id}  {_local(r.started)}  from {r.source}  {r.state}"]
    if r.reason:
        lines.append(f"  reason: {r.reason}")
    if run.find_max is not None:
        from app.core.history.findmax import steps_table

        lines += steps_table(run.find_max)
        lines.append("the step at the highest passing rate (else the last step):")
    lines.append(format_summary(run.summary))
    if run.verdicts:
        lines.append("assertions:")
        for v in run.verdicts:
            lines.append(f"  {'pass' if v.passed else 'FAIL'}  {v.expression}")
            if v.detail:
                lines.append(f"        {v.detail}")
    shown = {k: v for k, v in run.settings.items() if v not in (None, "", [], {})}
    if shown:
        lines.append("settings: " + json.dumps(shown, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str))


def _list(store: HistoryStore, args: argparse.Namespace) -> int:
    rows = store.list(
        target=args.target,
        transport=args.transport,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    if args.json:
        _print_json([r.as_json() for r in rows])
    elif rows:
        print(format_rows(rows))
    else:
        print(f"no runs stored in {str(store.path)!r} match", file=sys.stderr)
    return 0


def _show(store: HistoryStore, args: argparse.Namespace) -> int:
    run = _get(store, args.id)
    if args.json:
        _print_json(run.as_json())
    else:
        print(format_run(run))
    return 0


def _diff(store: HistoryStore, args: argparse.Namespace) -> int:
    rules = [parse_fail_if(text) for text in args.fail_if]  # bad rules before any reading
    if len(args.ids) < 2:
        raise TargetError("runs diff needs two run ids or more (the first is the baseline)")
    runs = [_get(store, text) for text in args.ids]
    comparison = Comparison(tuple(Compared.of(f"#{r.id}", r.summary) for r in runs))
    hits = failures(comparison, rules)
    if args.json:
        _print_json(
            comparison.as_json() | {"runs_detail": [r.row.as_json() for r in runs], "failed": hits}
        )
    else:
        for r in runs:
            row = r.row
            print(f"#{row.id}  {_local(row.started)}  {row.transport}  {row.target}  {row.state}")
        print(comparison.table())
    for line in hits:
        print(f"{PROG} diff: {line}", file=sys.stderr)
    return 1 if hits else 0


def _export(store: HistoryStore, args: argparse.Namespace) -> int:
    from app.commands import outputs
    from app.core.history.export import FORMATS, export

    if not any(args.file.lower().endswith(s) for s in FORMATS):
        raise TargetError(f"cannot export to {args.file!r}: name a .json, .html or .csv file")
    outputs.check("FILE", args.file)
    run = _get(store, args.id)
    try:
        kind = export(args.file, run.summary, store.series(run.id))
    except OSError as exc:
        raise TargetError(f"cannot write {args.file!r}: {exc.strerror or exc}") from None
    if args.json:
        _print_json({"id": run.id, "file": args.file, "format": kind})
    else:
        print(f"run {run.id} written to {args.file} ({kind})")
    return 0


def _delete(store: HistoryStore, args: argparse.Namespace) -> int:
    wanted = [resolve_id(store, text) for text in args.ids]  # `last` before any removal
    present = {r for r in wanted if _exists(store, r)}
    store.delete(*present)
    missing = [r for r in wanted if r not in present]
    if args.json:
        _print_json({"deleted": sorted(present), "missing": missing})
    elif present:
        print(f"deleted {len(present)} run(s): {', '.join(map(str, sorted(present)))}")
    for r in missing:
        print(f"{PROG} delete: no run {r} in {str(store.path)!r}", file=sys.stderr)
    return 2 if missing else 0


def _exists(store: HistoryStore, run_id: int) -> bool:
    try:
        store.get(run_id)
    except KeyError:
        return False
    return True


ACTIONS: dict[str, Callable[[HistoryStore, argparse.Namespace], int]] = {
    "list": _list,
    "show": _show,
    "diff": _diff,
    "export": _export,
    "delete": _delete,
}


def main(args: argparse.Namespace) -> int:
    action = args.runs_command
    try:
        with HistoryStore(args.history) as store:
            return ACTIONS[action](store, args)
    except HistoryError as exc:
        print(f"{PROG} {action}: {exc}", file=sys.stderr)
        return 1
    except ProbeError as exc:
        print(f"{PROG} {action}: {exc}", file=sys.stderr)
        return 2


# -- rtprobe run's side ------------------------------------------------------------------


def run_state(summary: Any, reached: bool, interrupted: str) -> tuple[str, str]:
    """(state, reason) of a run `rtprobe run` ended: stopped by a signal, failed when
    it errored and nothing was sent or no session ever connected (the runs that exit 1
    for that reason), else finished (a failed --assert is a verdict, not a state)."""
    if interrupted:
        return "stopped", f"stopped by {interrupted}"
    errored = bool(summary.error_events or summary.errors)
    if errored and (summary.sent == 0 or not reached):
        first = next(iter(summary.errors_by_message), "")
        return "failed", first or "no session reached the target"
    return "finished", ""


def store_run(path: str | None, build: Callable[[], Any]) -> str | None:
    """Store the record `build()` makes in the history at `path` (None: the default);
    the one warning line when that failed, else None. Never raises a HistoryError:
    the run and its reports do not depend on the history."""
    try:
        record = build()
        with HistoryStore(path) as store:
            store.add(record)
    except HistoryError as exc:
        return f"rtprobe run: warning: not stored in the history: {exc}"
    except Exception as exc:  # a defect here must not cost the run its summary either
        return f"rtprobe run: warning: not stored in the history: {type(exc).__name__}: {exc}"
    return None
