"""Thread-safe counters, transient-fault bookkeeping, prompt-cache LRU and request log."""

import threading
from collections import Counter, OrderedDict, deque

OPERATIONS = (
    "Converse",
    "ConverseStream",
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "CountTokens",
    "ListFoundationModels",
    "GetFoundationModel",
    "ListInferenceProfiles",
    "GetInferenceProfile",
)
LOG_SIZE = 1000
CACHE_SIZE = 512


class EmulatorState:
    """Everything the emulator remembers between requests; one instance per server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: Counter = Counter()
            self._open_streams = 0
            self._faults: Counter = Counter()
            self._log: deque = deque(maxlen=LOG_SIZE)
            self._cache: OrderedDict = OrderedDict()
            self._signers: deque = deque(maxlen=LOG_SIZE)

    def record(self, operation: str, model_id: str | None, body) -> None:
        """Count one received request and append it to the request log."""
        entry = {"operation": operation, "modelId": model_id, "body": body}
        with self._lock:
            self._calls[operation] += 1
            self._log.append(entry)

    def signed_by(self, access_key: str) -> None:
        """Remember which access key signed a request (credential refresh is visible here)."""
        with self._lock:
            self._signers.append(access_key)

    def signers(self) -> list[str]:
        with self._lock:
            return list(self._signers)

    def stream_opened(self) -> None:
        with self._lock:
            self._open_streams += 1

    def stream_closed(self) -> None:
        with self._lock:
            self._open_streams -= 1

    def fault_fires(self, key: str, times: int | None) -> bool:
        """True while the fault keyed `key` has fired fewer than `times` times."""
        if times is None:
            return True
        with self._lock:
            self._faults[key] += 1
            return self._faults[key] <= times

    def cache_hit(self, prefix_key: str) -> bool:
        """Whether this prompt prefix was seen before; remembers it either way."""
        with self._lock:
            seen = prefix_key in self._cache
            self._cache[prefix_key] = True
            self._cache.move_to_end(prefix_key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return seen

    def stats(self) -> dict:
        with self._lock:
            calls = {op: self._calls.get(op, 0) for op in OPERATIONS}
            calls.update(self._calls)
            return {"calls": calls, "open_streams": self._open_streams}

    def recent(self, limit: int) -> list[dict]:
        with self._lock:
            entries = list(self._log)
        return entries[-limit:] if limit > 0 else []
