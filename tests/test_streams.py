"""read_ahead: items in order, producer errors raised in the consumer, an early stop stops the producer."""

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from synapse_pipeline.ingest.read_ahead import LOAD, read_ahead


def test_items_arrive_in_order_and_the_consumer_time_is_counted() -> None:
    seconds: Counter[str] = Counter()
    assert list(read_ahead(iter(range(50)), seconds)) == list(range(50))
    assert seconds[LOAD] >= 0


def test_a_producer_error_is_raised_in_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("line 7: bad value")

    with pytest.raises(ValueError, match="line 7"):
        list(read_ahead(broken(), Counter()))


def test_a_consumer_that_stops_early_stops_and_closes_the_producer() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    stream = read_ahead(endless(), Counter())
    assert next(stream) == 1
    stream.close()
    assert closed.wait(timeout=5)
