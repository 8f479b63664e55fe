"""Query embedding with micro-batching: concurrent queries share one forward pass."""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np


class QueryEncoder:
    """A caller that finds the model idle and nobody waiting runs its own forward pass (no thread
    hand-off for a lone caller); requests that arrive while it is busy queue, and one worker thread
    encodes everything queued together in the next pass."""

    def __init__(self, model, max_batch: int = 32, cache_size: int = 4096):
        self.model = model
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[str, Future]] = queue.Queue()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._model_lock = threading.Lock()  # one forward pass at a time
        self.batches = 0  # forward passes run, for benchmarks
        self._worker = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._worker.start()

    def encode(self, text: str) -> np.ndarray:
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        if self._queue.empty() and self._model_lock.acquire(blocking=False):
            try:
                vector = self._forward([text])[0]
            finally:
                self._model_lock.release()
        else:
            fut: Future = Future()
            self._queue.put((text, fut))
            vector = fut.result()
        with self._cache_lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def encode_many(self, texts: list[str]) -> np.ndarray:
        return self._forward(texts)

    def _forward(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        return np.asarray(
            self.model.encode_query(texts, convert_to_numpy=True, normalize_embeddings=True, batch_size=len(texts)),
            dtype=np.float32,
        )

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            # The batch is gathered once the model is free, so it takes everything that queued meanwhile.
            with self._model_lock:
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                try:
                    vectors = self._forward([t for t, _ in batch])
                except Exception as exc:  # hand the failure to every waiting caller
                    for _, fut in batch:
                        fut.set_exception(exc)
                    continue
            for (_, fut), vec in zip(batch, vectors):
                fut.set_result(vec)
