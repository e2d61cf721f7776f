"""A live, named list of toxics (a Toxiproxy proxy's toxics), shared by its connections.

The API adds, updates and removes toxics; every open connection is told through its
listener and applies the change to the next bytes it sees. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.core.network.spec import toxic_from_json
from app.core.network.toxics import Toxic, ToxicError


class ToxicConflict(ToxicError):
    """A toxic of that name exists already (Toxiproxy answers 409)."""


class ToxicMissing(ToxicError):
    """No toxic of that name (404)."""


class ToxicSet:
    """The toxics in the order they were added (the order they apply in)."""

    def __init__(self, toxics: Iterable[Toxic] = ()) -> None:
        self._toxics: dict[str, Toxic] = {}
        self._listeners: set[Callable[[], None]] = set()
        for t in toxics:
            self.add(t)

    @property
    def toxics(self) -> list[Toxic]:
        return list(self._toxics.values())

    def get(self, name: str) -> Toxic:
        try:
            return self._toxics[name]
        except KeyError:
            raise ToxicMissing(f"toxic {name[:64]!r} not found") from None

    def add(self, toxic: Toxic) -> Toxic:
        if toxic.name in self._toxics:
            raise ToxicConflict(f"toxic {toxic.name!r} already exists")
        self._toxics[toxic.name] = toxic
        self._changed()
        return toxic

    def create(self, body: object) -> Toxic:
        return self.add(toxic_from_json(body))

    def update(self, name: str, body: object) -> Toxic:
        old = self.get(name)
        if isinstance(body, dict) and body.get("name", name) != name:
            raise ToxicError("a toxic's name cannot change (delete it and create another)")
        new = toxic_from_json(body, base=old)
        self._toxics[name] = new
        self._changed()
        return new

    def remove(self, name: str) -> None:
        self.get(name)
        del self._toxics[name]
        self._changed()

    def replace(self, toxics: Iterable[Toxic]) -> None:
        """All toxics at once (server-wide settings, presets)."""
        new: dict[str, Toxic] = {}
        for t in toxics:
            if t.name in new:
                raise ToxicConflict(f"toxic {t.name!r} is given twice")
            new[t.name] = t
        self._toxics = new
        self._changed()

    @property
    def listening(self) -> int:
        """How many open connections follow this set (a leak shows here)."""
        return len(self._listeners)

    def listen(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every change; returns the function that stops it."""
        self._listeners.add(callback)
        return lambda: self._listeners.discard(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()
