"""A model the engine can do without, loaded once on first use: the fast method's networks, the
face detector, the segmenter.

Apart from engine.py, which imports TensorFlow, so that a process that paints nothing by the
quality method (a bot whose engines are remote workers) can share such models without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from nst_engine.errors import WeightsError

Model = TypeVar("Model")


class OptionalModel(Generic[Model]):
    """A model the engine can do without: loaded once, on first use, from any thread.

    get() is the model, or None when its files are missing or wrong; error says why.
    """

    def __init__(self, load: Callable[[], Model]) -> None:
        self._load = load
        self._model: Model | None = None
        self._error: str | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def get(self) -> Model | None:
        with self._lock:
            if not self._loaded:
                try:
                    self._model = self._load()
                except WeightsError as error:
                    self._error = str(error)
                self._loaded = True
        return self._model

    @property
    def error(self) -> str | None:
        self.get()
        return self._error
