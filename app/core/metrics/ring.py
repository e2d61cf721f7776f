"""Fixed-size numpy ring buffers: live timelines whose memory never grows."""

from __future__ import annotations

import numpy as np


class Ring:
    """The last `capacity` rows of `width` float64 columns (e.g. time, value)."""

    def __init__(self, capacity: int, width: int = 2) -> None:
        if capacity < 1 or width < 1:
            raise ValueError("Ring needs capacity >= 1 and width >= 1")
        self._data = np.zeros((capacity, width), dtype=np.float64)
        self._next = 0
        self.total = 0  # rows ever appended

    @property
    def capacity(self) -> int:
        return self._data.shape[0]

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def append(self, *row: float) -> None:
        self._data[self._next] = row
        self._next = (self._next + 1) % self.capacity
        self.total += 1

    def extend(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, self._data.shape[1])
        if len(rows) >= self.capacity:
            self._data[:] = rows[-self.capacity :]
            self._next = 0
        else:
            end = self._next + len(rows)
            if end <= self.capacity:
                self._data[self._next : end] = rows
            else:
                split = self.capacity - self._next
                self._data[self._next :] = rows[:split]
                self._data[: end - self.capacity] = rows[split:]
            self._next = end % self.capacity
        self.total += len(rows)

    def view(self) -> np.ndarray:
        """The rows in insertion order, oldest first (a copy)."""
        if self.total < self.capacity:
            return self._data[: self._next].copy()
        return np.concatenate((self._data[self._next :], self._data[: self._next]))

    def clear(self) -> None:
        self._next = 0
        self.total = 0
