"""Building blocks of the menu bar: an action with its tooltip and shortcut in one call,
and the table of every shortcut the menus hold (for Help ▸ Keyboard shortcuts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar


def make_action(
    parent: QObject,
    text: str,
    tip: str,
    slot: Callable[..., object] | None = None,
    shortcut: str | QKeySequence.StandardKey | None = None,
    *,
    checkable: bool = False,
) -> QAction:
    """An action whose tooltip says what it does and names its shortcut."""
    action = QAction(text, parent)
    action.setCheckable(checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)
    if slot is not None:
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _=False: slot())
    return action


def menu_actions(menu: QMenu, path: str = "") -> Iterator[tuple[str, QAction]]:
    """Every action of `menu` and its submenus, with its menu path ("File ▸ Save")."""
    here = f"{path} ▸ {menu.title()}" if path else menu.title()
    for action in menu.actions():
        if action.menu() is not None:
            yield from menu_actions(action.menu(), here)  # type: ignore[arg-type]
        elif not action.isSeparator():
            yield here.replace("&", ""), action


def all_actions(bar: QMenuBar) -> Iterator[tuple[str, QAction]]:
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            yield from menu_actions(menu)


def shortcut_table(bar: QMenuBar) -> list[tuple[str, str]]:
    """(shortcut, "Menu ▸ action") for every action that has a shortcut."""
    rows = []
    for where, action in all_actions(bar):
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((keys, f"{where} ▸ {action.text().replace('&', '')}"))
    return rows
