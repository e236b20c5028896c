"""Reading ahead: the next chunks are made in a thread while this one is used: parsed, cleaned and validated while
PostgreSQL ingests this one; parsed by Arrow while pandera validates this one; validated while this one is written.
Arrow's parser, its kernels, the Parquet writer and the database driver leave Python's lock while they work, so the
two sides run on two cores."""

import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
LOAD = "load"


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterator[T], seconds: Counter[str] | None = None, depth: int = 2) -> Iterator[T]:
    """Yield `items`, produced up to `depth` ahead in a worker thread; the consumer's time goes to `seconds[LOAD]`
    (with `seconds`: the consumer times its own stages otherwise).

    An error in the producer is raised in the consumer; a consumer that stops early stops the producer.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            handoff.put(_Raised(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            started = time.perf_counter()
            yield item  # type: ignore[misc]
            if seconds is not None:
                seconds[LOAD] += time.perf_counter() - started
    finally:
        stop.set()
        worker.join()
