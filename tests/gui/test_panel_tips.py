"""Every control of a panel the window adds says what it does; its own tips stay."""

from __future__ import annotations

from app.gui.panel_tips import TIPS


def test_panel_controls_get_tooltips(qtbot, window) -> None:
    for transport in ("ws", "webrtc"):
        panel = window.add_connection_for(transport)
        for name in TIPS:
            assert getattr(panel, name).toolTip(), name
        assert panel.start_button.toolTip() == "Send until stopped (Ctrl+Return)"  # kept
        assert panel.send_once.toolTip() == TIPS["send_once"]
