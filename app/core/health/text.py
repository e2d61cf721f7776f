"""The health figures as the CLI table and the reports word them (one place, so the
terminal, the HTML report and the GUI read alike)."""

from __future__ import annotations

from app.core.health.figures import ClientHealth, ServerHealth


def client_text(h: ClientHealth) -> str:
    return (
        f"client: CPU {h.cpu_one_core:.0f} % of a core ({h.cpu_per_core:.0f} % of "
        f"{h.cores} cores; loop thread {h.loop_cpu:.0f} %)  loop lag p50 "
        f"{h.loop_lag_p50_ms:.2f} / p99 {h.loop_lag_p99_ms:.2f} / max "
        f"{h.loop_lag_max_ms:.2f} ms  GC {h.gc_count} pauses, {h.gc_total_ms:.1f} ms "
        f"(max {h.gc_max_ms:.1f})"
    )


def server_text(h: ServerHealth) -> str:
    return (
        f"mock: loop CPU {h.cpu:.0f} % of a core  loop lag p50 {h.loop_lag_p50_ms:.2f} / "
        f"p99 {h.loop_lag_p99_ms:.2f} / max {h.loop_lag_max_ms:.2f} ms "
        f"(last {h.window_s:.1f} s)"
    )
