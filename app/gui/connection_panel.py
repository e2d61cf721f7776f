"""One connection: the form (what to hit and how), the traffic controls, the live
counters, plots and the message inspector. It asks the bridge to run; it never opens
sockets. The form is `ConnectionForm`, the counters are a `CounterStrip`, and what the
form holds, without Qt, is `ConnectionSettings` (all re-exported here).

Runs are shown honestly: the state counter reads connecting / running / reconnecting
while a run is on, then finished, failed (with its reason) or stopped, decided by
`app.core.run_state` from everything the run emitted, never from the engine's "done"
alone. A progress bar follows timed and counted runs; at the end a summary card shows
the figures and the verdicts of the connection's thresholds (`--assert` expressions),
and `sigRunEnded` fires, once per run, for whoever records runs.

WebRTC connections also get a video source row (synthetic / file / webcam, size, fps,
data channel) and a Video tab (`VideoPane`): thumbnails of the sent and returned video
and, for generated video, the keyboard as the controller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.config import RunConfig
from app.core.errors import ProbeError
from app.core.events import Event, Message, VideoFrame
from app.core.health.figures import ServerHealth
from app.core.live import LiveRun
from app.core.run_progress import Plan
from app.core.run_state import FinalState
from app.core.sessions import registry
from app.core.verdicts import Verdict, judge, problem
from app.gui.bridge import EngineBridge
from app.gui.connection_form import GENERATED_TIP, VIDEO_SIZES, ConnectionForm, cameras
from app.gui.connection_settings import (
    EXAMPLES,
    FOREVER_S,
    ConnectionSettings,
    build_config,
    from_spec,
    parse_headers,
    to_spec,
)
from app.gui.counter_strip import CounterStrip
from app.gui.counters import counter_texts
from app.gui.exports import export_run
from app.gui.inspector import MessageInspector
from app.gui.plots import LivePlots
from app.gui.record_toggle import RecordToggle
from app.gui.run_colours import state_colour
from app.gui.run_progress import RunProgress
from app.gui.stats_plots import StatsPlots
from app.gui.summary_card import SummaryCard, end_line
from app.gui.thresholds_field import ThresholdsField
from app.gui.video_pane import VideoPane
from app.gui.visibility import on_screen

__all__ = [
    "EXAMPLES",
    "FOREVER_S",
    "GENERATED_TIP",
    "VIDEO_SIZES",
    "ConnectionForm",
    "ConnectionPanel",
    "ConnectionSettings",
    "CounterStrip",
    "build_config",
    "cameras",
    "from_spec",
    "parse_headers",
    "to_spec",
]

# shown only while a run is on (the summary card keeps the run's average rate)
UNSEEN_EVERY = 10  # redraw ticks between counter refreshes of an unseen panel (~3 Hz)
SLOW_EVERY = 6  # redraw ticks between refreshes of the counters and the log (~5 Hz)
RATE_COUNTERS = ("rate",)


class ConnectionPanel(QFrame):
    sigStatus = Signal(str)  # one-line messages for the status bar
    sigCloseRequested = Signal(object)
    # once per run, when it ended (finished, failed, stopped, replaced or closed): the
    # panel, whose `live`, `final_state`, `verdicts()` and `last_config` describe it
    sigRunEnded = Signal(object)
    sigServerHealth = Signal(object)  # this panel, once the mock's reading of its run came

    def __init__(
        self,
        bridge: EngineBridge,
        settings: ConnectionSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.mock_base: str | None = None
        self.server_health: ServerHealth | None = None  # the mock's, after its last run
        # set by the window: FAL_KEY or the keyring
        self.key_provider: Callable[[], str | None] = lambda: None
        self.run_id: int | None = None
        self.live: LiveRun | None = None
        self.final_state: FinalState | None = None  # how the last run ended; None while on
        # the last run's config: holds its credentials, so never store it as is
        self.last_config: RunConfig | None = None
        self.last_settings: ConnectionSettings | None = None  # the form it ran from
        self._verdicts: list[Verdict] = []
        self._ended = True  # sigRunEnded went out for the current run
        self._webrtc_run = False  # the current run shows video
        self._dirty = False
        self._plots_behind = False  # unseen while data came: plots redraw when shown
        self._ticks = 0
        self._pending_messages: list[Message] = []
        self._base_settings = ConnectionSettings()  # what set_settings gave: fields no widget holds
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._build()
        self.set_settings(settings or ConnectionSettings())
        bridge.sigBatch.connect(self._on_batch)
        bridge.sigRedraw.connect(self._on_redraw)

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(3)
        title = QHBoxLayout()
        self.title = QLabel("connection")
        self.title.setStyleSheet("font-weight: bold")
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close this connection")
        close.clicked.connect(lambda: self.sigCloseRequested.emit(self))
        title.addWidget(self.title, 1)
        title.addWidget(close)
        outer.addLayout(title)

        self.form = ConnectionForm()
        self.form.route_picker.base_provider = lambda: self.mock_base
        self.form.route_picker.key_provider = lambda: self.key_provider()
        self.form.sigTitle.connect(self.title.setText)
        self.form.sigError.connect(self.show_error)
        # the form's widgets, as the window and the tests know them
        self.transport = self.form.transport
        self.target = self.form.target
        self.payload = self.form.payload
        self.payload_error = self.form.payload_error
        self.payload_format = self.form.payload_format
        self.max_buffering = self.form.max_buffering
        self.headers = self.form.headers
        self.load_payload = self.form.load_payload
        self.video_source = self.form.video_source
        self.video_size = self.form.video_size
        self.video_fps = self.form.video_fps
        self.data_channel = self.form.data_channel
        outer.addWidget(self.form)
        outer.addLayout(self._build_controls())
        self.thresholds = ThresholdsField()
        outer.addWidget(self.thresholds)

        self.counters = CounterStrip()
        self.counter_labels = self.counters.labels
        self.error = self.counters.error
        outer.addWidget(self.counters)
        self.progress = RunProgress()
        outer.addWidget(self.progress)
        self.summary_card = SummaryCard()
        outer.addWidget(self.summary_card)

        # plots, video and the message log as tabs: four connections in a 2 x 2 grid
        # still fit a 1080p screen, and the counters above stay in sight on every tab
        self.plots = LivePlots()
        self.video = VideoPane()
        self.video.sigAction.connect(lambda action: self._steer(self.bridge.send_action, action))
        self.video.sigPause.connect(lambda paused: self._steer(self.bridge.pause, paused))
        self.video.sigControl.connect(lambda what, v: self._steer(self.bridge.act, what, v))
        self.inspector = MessageInspector()
        self.views = QTabWidget()
        self.views.addTab(self.plots, "Plots")
        self.views.addTab(self.video, "Video")
        self.stats_plots = StatsPlots()
        self.views.addTab(self.stats_plots, "WebRTC stats")
        self.views.addTab(self.inspector, "Messages")
        self.views.setTabVisible(1, False)
        self.views.setTabVisible(2, False)
        outer.addWidget(self.views, 1)
        # connected last: the form's first signals find every widget they touch
        self.form.sigValid.connect(self._set_runnable)
        self.form.sigTransportShown.connect(self._show_transport)

    def _build_controls(self) -> QHBoxLayout:
        """How much traffic (rate, sessions, duration) and the buttons that run it."""
        controls = QHBoxLayout()
        self.send_once = QPushButton("Send once")
        self.send_once.clicked.connect(lambda: self.start(count=1))
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0, 100_000)
        self.rate.setDecimals(1)
        self.rate.setSuffix(" msg/s")
        self.rate.setSpecialValueText("closed loop")
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 1000)
        self.concurrency.setPrefix("× ")
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Send until stopped (Ctrl+Return)")
        self.start_button.clicked.connect(lambda: self.start())
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.1, FOREVER_S)
        self.duration.setSuffix(" s")
        self.timed = QPushButton("Timed test")
        self.timed.clicked.connect(lambda: self.start(duration_s=self.duration.value()))
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.record = RecordToggle(self)  # app/gui/record_toggle.py: runs to a HAR file
        for w in (
            self.send_once,
            self.rate,
            self.concurrency,
            self.start_button,
            self.duration,
            self.timed,
            self.stop_button,
            self.clear_button,
            self.record,
        ):
            controls.addWidget(w)
        return controls

    def set_video_source(self, spec: str) -> None:
        self.form.set_video_source(spec)

    def load_payload_file(self, path: str | Path) -> bool:
        return self.form.load_payload_file(path)

    # -- settings ------------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        return replace(
            self.form.settings(self._base_settings),
            rate=self.rate.value(),
            concurrency=self.concurrency.value(),
            duration_s=self.duration.value(),
            thresholds=self.thresholds.text(),
        )

    def set_settings(self, s: ConnectionSettings) -> None:
        self._base_settings = s
        self.rate.setValue(s.rate)
        self.concurrency.setValue(s.concurrency)
        self.duration.setValue(s.duration_s)
        self.thresholds.set_text(s.thresholds)
        self.form.set_settings(s)

    def _show_transport(self, transport: str) -> None:
        """The panel's part of showing a transport: WebRTC paces by fps and shows video."""
        facts = registry.transport(transport)
        self.rate.setEnabled(not facts.paced_by_source)  # the source's fps sets the pace
        self.views.setTabVisible(self.views.indexOf(self.video), facts.measures_frames)
        self.views.setTabVisible(self.views.indexOf(self.stats_plots), facts.measures_frames)
        self.counters.set_transport(transport)
        self.views.setCurrentWidget(self.video if facts.measures_frames else self.plots)

    def _set_runnable(self, ok: bool) -> None:
        for button in (self.send_once, self.start_button, self.timed):
            button.setEnabled(ok)

    # -- running -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run_id is not None and self.live is not None and not self.live.finished

    def start(self, count: int | None = None, duration_s: float | None = None) -> bool:
        """Start a run from the form; False (and a shown error) when the form is wrong."""
        if count is None and duration_s is None:
            duration_s = FOREVER_S  # until Stop
        settings = self.settings()
        try:
            config = build_config(
                settings,
                mock_base=self.mock_base,
                key=self.key_provider(),
                count=count,
                duration_s=None if count else duration_s,
                recording=bool(self.record.path),
            )
        except ProbeError as exc:
            self.show_error(str(exc))
            return False
        if self.running:  # its end will never be shown: it is replaced now
            self.stop()
            self._abandon("replaced by a new run")
        self.clear()
        if self.live is not None:
            self.live.close()
        self.final_state = None
        self._verdicts = []
        self._ended = False
        self.last_config = config
        self.last_settings = settings
        plan = Plan(count=count, duration_s=None if count else duration_s)
        self.live = LiveRun(config.transport, config.target.display, plan)
        self._webrtc_run = registry.transport(config.transport).measures_frames
        self.video.reset()
        self.run_id = self.bridge.submit(config)
        self.video.running = self._webrtc_run
        self._show_state("connecting")
        self.progress.show_progress(self.live.progress())
        self.sigStatus.emit(f"{config.transport} {config.target.display}: started")
        return True

    def stop(self) -> None:
        if self.run_id is not None:
            self.bridge.stop(self.run_id)

    def clear(self) -> None:
        self._pending_messages = []
        self.plots.clear_data()
        self.stats_plots.clear_data()
        self.video.clear()
        self.inspector.clear()
        self.error.setText("")
        self.summary_card.reset()
        if self.live is not None and self.live.finished:
            self.live.close()
            self.live = None
            self.run_id = None
            self.progress.finish()
        for label in self.counter_labels.values():
            label.setText("–")
        self._show_state("–")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.sigStatus.emit(message)

    def _on_batch(self, run_id: int, events: list[Event]) -> None:
        if run_id != self.run_id or self.live is None:
            return
        before = self.live.last_error
        if self._webrtc_run:
            self.video.feed(events)
            events = [e for e in events if not isinstance(e, VideoFrame)]  # pixels, no figures
        messages = self.live.feed_many(events)
        if messages:
            self._pending_messages.extend(messages)
        if self.live.last_error != before:
            self.show_error(self.live.last_error)
        self._dirty = True
        if self.live.finished and not self._ended:
            self._end_run()
        elif messages and self.live.plan.count == 1:  # Send once: its reply at once
            self._refresh_slow()

    # -- the end of a run ----------------------------------------------------------
    def verdicts(self) -> list[Verdict]:
        """The last run's assertions: (expression, passed, measured value) each."""
        return list(self._verdicts)

    def _end_run(self) -> None:
        """The run is over: flush the log and counters now (not at the next slow tick),
        say how it ended in the panel and the status bar, and tell the recorders."""
        assert self.live is not None
        self._ended = True
        self.video.running = False
        final = self.live.final_state() or FinalState("finished")
        self.final_state = final
        summary = self.live.summary()
        self._verdicts = judge(self.thresholds.thresholds(), summary)
        self._refresh_slow()
        if self.live.plan.count == 1:  # Send once: show its reply, as a request tool does
            self.views.setCurrentWidget(self.inspector)
            self.inspector.select_latest("in")
        self.progress.finish()
        self.summary_card.show_run(final, summary, self._verdicts, problem(self.thresholds.text()))
        if final.state == "failed" and not self.error.text():
            self.error.setText(final.reason)
        self.sigStatus.emit(end_line(self.live.aggregator, final, summary, self._verdicts))
        self.sigRunEnded.emit(self)

    def show_server_health(self, reading: ServerHealth) -> None:
        """The mock's /health over the run, read after it ended: the card and the status
        line say "server (mock) saturated: …" when it was (app/gui/window_mock.py)."""
        if self.live is None or self.final_state is None:
            return
        final, verdicts, self.server_health = self.final_state, self._verdicts, reading
        summary = replace(self.live.summary(), server_health=reading)
        self.summary_card.show_run(final, summary, verdicts, problem(self.thresholds.text()))
        self.sigStatus.emit(end_line(self.live.aggregator, final, summary, verdicts))
        self.sigServerHealth.emit(self)

    def _abandon(self, reason: str) -> None:
        """A run whose end this panel will never see (replaced, or the panel closed):
        it ended "stopped" here, with what it had measured."""
        if self._ended or self.live is None:
            return
        self._ended = True
        self.final_state = FinalState("stopped", reason)
        self._verdicts = judge(self.thresholds.thresholds(), self.live.summary())
        self.sigRunEnded.emit(self)

    def _steer(self, send: Callable[..., None], *args: object) -> None:
        """The video pane's keys, pause and wma controls to the running run; the engine
        reports failures as ErrorEvents of the run (RuntimeError: it is shutting down)."""
        if self.running and self.run_id is not None:
            with contextlib.suppress(RuntimeError):
                send(self.run_id, *args)

    def _on_redraw(self) -> None:
        """Plots follow every redraw tick; the log and the counters, which people read
        rather than watch, every `SLOW_EVERY`th (~5 Hz): they cost the GUI thread more
        than plots.
        An unseen panel (hidden tab, scrolled out) draws no plots, which catch up when it
        is shown, but keeps its counters and state going at ~3 Hz: the sidebar and the
        status bar read them."""
        if self.live is None:
            return
        self._ticks += 1
        if not on_screen(self):
            if self._dirty and self._ticks % UNSEEN_EVERY == 0:
                self._plots_behind = True
                self._dirty = False
                self._refresh_slow()
            return
        if not self._dirty and not self._plots_behind:
            if not self.live.finished and self._ticks % SLOW_EVERY == 0:
                self.progress.show_progress(self.live.progress())  # the clock goes on
            return
        slow_tick = self._ticks % SLOW_EVERY == 0 or self.live.finished
        self._dirty = self._dirty and not slow_tick  # tick on until the slow parts caught up
        self._plots_behind = False
        self.plots.redraw(self.live)
        if self._webrtc_run:
            self.stats_plots.redraw(self.live)  # draws only while its tab is shown
        if slow_tick:
            self._refresh_slow()

    def _refresh_slow(self) -> None:
        """The log, the counters, the progress bar and the video figures."""
        live = self.live
        if live is None:
            return
        if self._pending_messages:
            self.inspector.add_messages(self._pending_messages)
            self._pending_messages = []
        s = live.summary()
        state = live.shown_state()
        values = counter_texts(s, state)
        if live.finished:
            for name in RATE_COUNTERS:
                if name in values:
                    values[name] = "–"
        else:
            self.progress.show_progress(live.progress())
        self._show_state(values.pop("state", state))
        for name, text in values.items():
            if name in self.counter_labels:
                self.counter_labels[name].setText(text)
        if self._webrtc_run:
            self.video.redraw(s)

    def _show_state(self, text: str) -> None:
        """The state counter, in its state's colour (restyled only when it changes:
        a style sheet costs the GUI thread a re-polish)."""
        label = self.counter_labels["state"]
        style = f"color: {state_colour(text)}; font-weight: bold"
        if label.text() != text:
            label.setText(text)
        if label.styleSheet() != style:
            label.setStyleSheet(style)

    def export_report(self, path: Path) -> None:
        """The same reports as `rtprobe run`: by extension .json, .csv or .html."""
        if (note := export_run(self.live, path)) is not None:
            self.show_error(note)

    def close_down(self) -> None:
        self.video.running = False  # no more actions, not even "release" on focus loss
        if self.running:
            self._abandon("the connection was closed")
        self.stop()
        if self.live is not None:
            self.live.close()  # its temporary CSV goes too
        self.bridge.sigBatch.disconnect(self._on_batch)
        self.bridge.sigRedraw.disconnect(self._on_redraw)
