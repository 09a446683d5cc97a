"""A rich progress bar for searches: calls, cache hits, tokens, ETA."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@dataclass
class Counters:
    """What a run did: model calls made, answered by the model cache, reused from the study store."""

    calls: int = 0
    cache_hits: int = 0
    resumed: int = 0
    tokens: int = 0
    errors: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "model_calls": self.calls,
            "cache_hits": self.cache_hits,
            "resumed_from_store": self.resumed,
            "tokens": self.tokens,
            "case_errors": self.errors,
        }


class SearchProgress:
    """Shows planned evaluations as a bar; silent when ``enabled`` is False (tests, ``--json``)."""

    def __init__(self, *, enabled: bool = True, console: Console | None = None):
        self.counters = Counters()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "calls {task.fields[calls]} · cache hits {task.fields[hits]} · "
                    "resumed {task.fields[resumed]} · tokens {task.fields[tokens]}"
                ),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> SearchProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("search", total=0, calls=0, hits=0, resumed=0, tokens=0)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def plan(self, more: int, description: str | None = None) -> None:
        """Announce ``more`` evaluations about to run."""
        if self._progress is not None and self._task is not None:
            total = (self._progress.tasks[0].total or 0) + more
            self._progress.update(self._task, total=total, description=description or "search")

    def done(self, *, called: bool, cached: bool, tokens: int, error: bool, resumed: bool = True) -> None:
        """One evaluation finished: a model call (``called``), or an outcome found in the store."""
        c = self.counters
        if called:
            c.calls += 1
            c.cache_hits += int(cached)
            c.tokens += tokens
        elif resumed:
            c.resumed += 1
        c.errors += int(error)
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, advance=1, calls=c.calls, hits=c.cache_hits, resumed=c.resumed, tokens=c.tokens
            )
