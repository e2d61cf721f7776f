"""Locust's events, tied to rtprobe: importing this module registers the listeners.

- `init_command_line_parser`: rtprobe's flags (`options.py`).
- `init` (after `--processes` forks): Locust's buckets at 3 significant figures; in a
  process that runs users, the engine loop (`WorkerSide`); in the master (or the single
  process), the merged result (`Coordinator`), with the options checked first: a bad
  flag, threshold or report path ends the run with one line and exit code 2.
- every 3 s a worker's `report_to_master` carries its window; the master's
  `worker_report` merges it. The master rewrites the partial JSON and HTML every few
  seconds, and writes the CSV as samples arrive.
- `test_stopping`: the master asks each worker to drain (`rtprobe_drain`): a worker
  stops its sessions, waits for them, and sends its last window (`rtprobe_final`);
  the master waits for every worker's (bounded), so the accounting holds at the end.
  A worker Locust marks missing (killed, its link gone) is not waited for: it is
  counted lost, said in the report and on stderr, and the exit code is 1.
- `test_stop`: the final reports; `quitting`: the summary and `--assert`, which sets
  the exit code (0 when every threshold holds, 1 when one fails or when no session
  reached the target; otherwise Locust's own rule).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import gevent
from locust import events
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from app.core.errors import ProbeError
from app.load import buckets, options
from app.load.merged import MergedRun, parse_thresholds
from app.load.worker import DRAIN_TIMEOUT_S, WorkerSide

logger = logging.getLogger("rtprobe.load")

DRAIN = "rtprobe_drain"
FINAL = "rtprobe_final"
LOCAL = "local"

_worker: WorkerSide | None = None
_coordinator: Coordinator | None = None


def worker_side(environment: Any) -> WorkerSide:
    """This process's engine side (made on first use, e.g. by a test's Environment)."""
    global _worker
    if _worker is None:
        _worker = WorkerSide(environment)
    return _worker


class Coordinator:
    """The master's (or the single process's) side of a test."""

    def __init__(self, environment: Any, local: WorkerSide | None) -> None:
        self.environment = environment
        self.local = local
        opts = environment.parsed_options
        self.json_path = str(getattr(opts, "report_json", "") or "")
        self.html_path = str(getattr(opts, "report_html", "") or "")
        self.csv_path = str(getattr(opts, "report_csv", "") or "")
        self.every_s = float(getattr(opts, "report_every", options.REPORT_EVERY_S) or 0)
        self.thresholds = parse_thresholds(list(getattr(opts, "asserts", []) or []))
        self.run = MergedRun()
        self.started = False
        self.written_final = False
        self._writer: gevent.Greenlet | None = None

    def test_start(self) -> None:
        self.run.close_csv()
        self.run = MergedRun(self.csv_path)
        self.started = True
        self.written_final = False
        if self._writer is None and self.every_s > 0 and (self.json_path or self.html_path):
            self._writer = gevent.spawn(self._write_forever)

    def _write_forever(self) -> None:
        while True:
            gevent.sleep(self.every_s)
            if self.started and not self.written_final:
                self.note_local_users()
                for line in self.run.write(self.json_path, self.html_path, final=False):
                    logger.error(line)

    def note_local_users(self) -> None:
        runner = self.environment.runner
        if self.local is not None and runner is not None:
            self.run.note_users(LOCAL, runner.user_count)

    def drain(self) -> None:
        """Every worker's last window in, or the deadline passed."""
        runner = self.environment.runner
        if self.local is not None:
            self.note_local_users()
            self.run.add(LOCAL, self.local.drain())
            return
        if not isinstance(runner, MasterRunner):
            return
        lost = {c.id for c in runner.clients.all if c.state == STATE_MISSING}
        expected = {c.id for c in runner.clients.all} - lost
        for client_id in expected:
            try:
                runner.send_message(DRAIN, None, client_id)
            except Exception as exc:  # a link gone: any of Locust's RPC errors
                logger.warning("rtprobe: cannot ask worker %s for its results: %s", client_id, exc)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S + 5
        while time.monotonic() < deadline and not expected <= self.run.finals:
            present = {c.id: c.state for c in runner.clients.all}
            gone = {w for w in expected if present.get(w, STATE_MISSING) == STATE_MISSING}
            gone -= self.run.finals
            lost |= gone
            expected -= gone
            gevent.sleep(0.05)
        lost |= expected - self.run.finals
        self.run.lost |= lost
        if lost:
            logger.warning("rtprobe: no last window from %d worker(s)", len(lost))

    def final(self, worker: str, data: Any) -> None:
        if isinstance(data, dict):
            self.run.note_users(worker, data.get("users"))
            self.run.add(worker, data.get("window"))
        self.run.finals.add(worker)

    def write_final(self) -> list[str]:
        self.written_final = True
        return self.run.write(self.json_path, self.html_path, final=True)

    def verdict(self) -> int | None:
        """The exit code rtprobe sets: 1 when nothing reached the target (errors and not
        one message or frame, as `rtprobe run` says), else by the thresholds; None
        without thresholds (Locust's own rule)."""
        summary = self.run.summary()
        if summary.error_events and not summary.sent and not summary.measured_frames:
            print("rtprobe locust: no session reached the target", file=sys.stderr)
            return 1
        if not self.thresholds:
            return None
        failures = self.run.failures(self.thresholds)
        for line in failures:
            print(line, file=sys.stderr)
        return 1 if failures else 0


@events.init_command_line_parser.add_listener
def _on_parser(parser: Any, **_: Any) -> None:
    options.add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Any, runner: Any = None, **_: Any) -> None:
    try:
        _init(environment, runner)
    finally:
        # the hub has not run since the imports (seconds of numpy, aiortc, …): its clock
        # is that old, and Locust's `-t` timer, armed next, would fire that much early
        gevent.get_hub().loop.update_now()


def _init(environment: Any, runner: Any) -> None:
    global _coordinator
    buckets.install()
    if runner is None:
        return
    if isinstance(runner, WorkerRunner):
        side = worker_side(environment)

        def on_drain(environment: Any, msg: Any, **_: Any) -> None:
            users = runner.user_count  # before the drain: its users still run
            runner.send_message(FINAL, {"window": side.drain(), "users": users})

        runner.register_message(DRAIN, on_drain, concurrent=True)
        return
    local = None if isinstance(runner, MasterRunner) else worker_side(environment)
    try:
        _check(environment)
        _coordinator = Coordinator(environment, local)
    except ProbeError as exc:
        print(f"rtprobe locust: {exc}", file=sys.stderr)
        _end_forked_workers(environment)
        sys.exit(2)
    if isinstance(runner, MasterRunner):
        coordinator = _coordinator
        runner.register_message(
            FINAL, lambda environment, msg, **_: coordinator.final(msg.node_id, msg.data)
        )


def _end_forked_workers(environment: Any) -> None:
    """With `--processes`, the workers were forked before `init`: they would wait a minute
    for a master that is gone. Stop them (psutil comes with Locust)."""
    if not getattr(environment.parsed_options, "processes", None):
        return
    import psutil

    for child in psutil.Process().children():
        child.terminate()


def _check(environment: Any) -> None:
    """What can be checked before anything is sent: the run's config, report paths."""
    from app.commands import outputs

    opts = environment.parsed_options
    options.config_from_options(opts, environment.host)
    reports = (
        ("--report-json", "report_json"),
        ("--report-html", "report_html"),
        ("--report-csv", "report_csv"),
    )
    for flag, attr in reports:
        path = getattr(opts, attr, "")
        if path:
            outputs.check(flag, path)


@events.report_to_master.add_listener
def _on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _worker is not None:
        data["rtprobe"] = _worker.take()


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _coordinator is not None:
        _coordinator.run.add(client_id, data.get("rtprobe"))
        _coordinator.run.note_users(client_id, data.get("user_count"))


@events.test_start.add_listener
def _on_test_start(environment: Any, **_: Any) -> None:
    if _worker is not None:
        _worker.reset()
    if _coordinator is not None:
        _coordinator.test_start()


@events.test_stopping.add_listener
def _on_test_stopping(environment: Any, **_: Any) -> None:
    if _coordinator is not None and _coordinator.started:
        _coordinator.drain()


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_: Any) -> None:
    if _coordinator is not None and _coordinator.started:
        for line in _coordinator.write_final():
            logger.error(line)


@events.quitting.add_listener
def _on_quitting(environment: Any, **_: Any) -> None:
    coordinator = _coordinator
    if coordinator is not None and coordinator.started:
        errors = [] if coordinator.written_final else coordinator.write_final()
        from app.commands.run import format_summary

        summary = coordinator.run.summary()
        print(
            f"rtprobe, merged over {coordinator.run.workers} worker process(es), "
            f"{coordinator.run.peak_users} users:\n" + format_summary(summary)
        )
        for line in errors:
            print(line, file=sys.stderr)
        code = coordinator.verdict()
        if coordinator.run.lost:
            print(
                f"rtprobe locust: {len(coordinator.run.lost)} worker process(es) lost before "
                "their last results: the merged report lacks what they measured after their "
                "last report",
                file=sys.stderr,
            )
        if errors or coordinator.run.lost:
            code = 1
        if code is not None:
            environment.process_exit_code = code
    if _worker is not None:
        _worker.close()
