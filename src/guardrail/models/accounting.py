"""Usage and cost accounting, per call and per run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .types import Completion


@dataclass(frozen=True)
class Pricing:
    """US dollars per million tokens."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6


FREE = Pricing()

# List prices as published by OpenAI (checked 2026-11); pass pricing= for anything else.
KNOWN_PRICES: dict[str, Pricing] = {
    "gpt-4o-mini": Pricing(0.15, 0.60),
    "gpt-4o": Pricing(2.50, 10.00),
    "gpt-4.1": Pricing(2.00, 8.00),
    "gpt-4.1-mini": Pricing(0.40, 1.60),
    "gpt-4.1-nano": Pricing(0.10, 0.40),
}


@dataclass(frozen=True)
class CallRecord:
    model_id: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost_usd: float
    cached: bool
    finish_reason: str


@dataclass(frozen=True)
class UsageSummary:
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0

    @property
    def model_calls(self) -> int:
        """Calls that reached a model (not served from a cache or cassette)."""
        return self.calls - self.cached_calls

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __sub__(self, other: UsageSummary) -> UsageSummary:
        return UsageSummary(
            calls=self.calls - other.calls,
            cached_calls=self.cached_calls - other.cached_calls,
            prompt_tokens=self.prompt_tokens - other.prompt_tokens,
            completion_tokens=self.completion_tokens - other.completion_tokens,
            cost_usd=self.cost_usd - other.cost_usd,
            latency_s=self.latency_s - other.latency_s,
        )

    def to_dict(self) -> dict[str, float | int]:
        return {
            "calls": self.calls,
            "model_calls": self.model_calls,
            "cached_calls": self.cached_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "latency_s": round(self.latency_s, 4),
        }


@dataclass
class UsageMeter:
    """Accumulates every call a model answers. Thread-safe; take ``summary()`` before and after a run and
    subtract to get that run's usage."""

    pricing: Pricing = FREE
    keep_records: int = 10_000
    records: list[CallRecord] = field(default_factory=list)
    _total: UsageSummary = field(default_factory=UsageSummary)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, completion: Completion) -> CallRecord:
        cost = (
            0.0
            if completion.cached
            else self.pricing.cost(completion.usage.prompt_tokens, completion.usage.completion_tokens)
        )
        rec = CallRecord(
            model_id=completion.model_id,
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            latency_s=completion.latency_s,
            cost_usd=cost,
            cached=completion.cached,
            finish_reason=completion.finish_reason,
        )
        with self._lock:
            if len(self.records) < self.keep_records:
                self.records.append(rec)
            t = self._total
            self._total = UsageSummary(
                calls=t.calls + 1,
                cached_calls=t.cached_calls + int(rec.cached),
                prompt_tokens=t.prompt_tokens + rec.prompt_tokens,
                completion_tokens=t.completion_tokens + rec.completion_tokens,
                cost_usd=t.cost_usd + cost,
                latency_s=t.latency_s + rec.latency_s,
            )
        return rec

    def summary(self) -> UsageSummary:
        with self._lock:
            return self._total
