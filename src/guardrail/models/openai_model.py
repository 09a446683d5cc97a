"""Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp's server, Ollama) through the official SDK.

Retries are ours rather than the SDK's so that they are visible (``retries`` counts them) and so that the
policy is explicit: exponential backoff with jitter, and the server's Retry-After honoured on 429 and 5xx.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import os
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from .._secrets import redact_url, remember, scrub_logs, split_credentials
from .._text import clip
from ..errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailable,
    ConfigurationError,
    ModelNotFoundError,
    ServerError,
)
from .accounting import FREE, KNOWN_PRICES, Pricing
from .base import Model, StreamItem
from .types import Completion, Request, ToolCall, Usage, finish_reason

T = TypeVar("T")

# The SDK's HTTP client logs each request's URL at INFO; whatever reaches a log is scrubbed of secrets.
scrub_logs("httpx", "httpx2", "httpcore", "openai")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with 'equal jitter'; a server's Retry-After (capped) takes precedence."""

    max_retries: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    max_retry_after_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_s)
        cap = min(self.max_delay_s, self.base_delay_s * 2.0**attempt)
        return cap / 2 + rng.uniform(0, cap / 2)


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), if given."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


class OpenAIModel(Model):
    """A model behind an OpenAI-compatible API.

    ``model=None`` asks the server which models it serves and takes the first (handy for single-model
    servers such as llama.cpp's). The API key is read from the environment variable ``api_key_env`` at
    construction and is kept only inside the SDK client: it never appears in ``model_id``, cache keys,
    cassettes or error messages. Credentials written into the URL (``http://user:KEY@host/v1``) are taken
    out of it at once and sent as HTTP Basic authentication, as httpx would have sent them, so the URL that
    is logged, stored and shown carries none; both the key and those credentials are remembered as secrets
    (``guardrail._secrets``), so a server that echoes them finds them masked in guardrail's errors.
    """

    streams_natively = True

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 60.0,
        max_concurrency: int = 8,
        retry: RetryPolicy = RetryPolicy(),
        pricing: Pricing | None = None,
        seed: int | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        headers: dict[str, str] = {}
        if base_url is not None:
            base_url, user, password = split_credentials(base_url)
            remember(user, password)
            if user is not None or password is not None:
                token = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
                remember(token)
                headers["Authorization"] = f"Basic {token}"
        key = os.environ.get(api_key_env)
        remember(key)
        if not key:
            if base_url is None:
                raise ConfigurationError(
                    f"no API key: set the environment variable {api_key_env} to use OpenAI's API, "
                    "or pass base_url= for a local OpenAI-compatible server"
                )
            key = "not-needed"  # local servers ignore it, but the SDK insists on one
        if pricing is None:
            pricing = KNOWN_PRICES.get(model or "", FREE) if base_url is None else FREE
        super().__init__(pricing=pricing)
        self.model = model
        self.base_url = base_url
        self._shown_url = redact_url(base_url) if base_url else "https://api.openai.com/v1"
        self._api_key = key
        self._headers = headers
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self.retry = retry
        self.seed = seed
        self.retries = 0
        self._rng = random.Random(0)
        self._clients: dict[int, tuple[openai.AsyncOpenAI, asyncio.Semaphore]] = {}

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return f"openai:{self.model or '?'}@{self._shown_url}"

    def _client(self) -> tuple[openai.AsyncOpenAI, asyncio.Semaphore]:
        # One client per event loop: httpx connection pools belong to the loop that created them.
        loop = asyncio.get_running_loop()
        entry = self._clients.get(id(loop))
        if entry is None:
            client = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self.timeout_s,
                max_retries=0,
                default_headers=self._headers or None,
            )
            entry = (client, asyncio.Semaphore(self.max_concurrency))
            self._clients[id(loop)] = entry
        return entry

    async def _model_name(self) -> str:
        if self.model is None:
            names = await self.list_models()
            if not names:
                raise ModelNotFoundError(
                    f"{self._shown_url} serves no models; pass model= explicitly", url=self._shown_url
                )
            self.model = names[0]
        return self.model

    async def aresolve(self) -> None:
        await self._model_name()

    async def list_models(self) -> list[str]:
        client, _ = self._client()
        page = await self._with_retries(lambda: client.models.list(), "listing models")
        return [m.id for m in page.data]

    # --- errors and retries ------------------------------------------------------------------------
    async def _with_retries(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        attempt = 0
        while True:
            try:
                return await call()
            except openai.AuthenticationError:
                raise AuthenticationError(
                    f"{self._shown_url} rejected the API key (HTTP 401) while {what}; "
                    "check the key in the environment variable you configured (OPENAI_API_KEY by default)",
                    status=401,
                    url=self._shown_url,
                ) from None
            except openai.PermissionDeniedError:
                raise AuthenticationError(
                    f"{self._shown_url} refused access (HTTP 403) while {what}; the key lacks permission "
                    "for this model or endpoint",
                    status=403,
                    url=self._shown_url,
                ) from None
            except openai.NotFoundError:
                raise ModelNotFoundError(
                    f"{self._shown_url} answered 404 Not Found while {what} for model {self.model!r}; "
                    "check the model name (a server lists its models at /v1/models) and that the base URL "
                    "ends in /v1",
                    status=404,
                    url=self._shown_url,
                ) from None
            except (openai.RateLimitError, openai.InternalServerError) as exc:
                status = exc.status_code
                if attempt >= self.retry.max_retries:
                    raise ServerError(
                        f"{self._shown_url} answered HTTP {status} while {what}, "
                        f"{attempt + 1} attempts; try again later or lower the concurrency",
                        status=status,
                        url=self._shown_url,
                        attempts=attempt + 1,
                    ) from None
                wait = self.retry.delay(attempt, retry_after_seconds(exc.response.headers), self._rng)
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                if attempt >= self.retry.max_retries:
                    kind = "timed out" if isinstance(exc, openai.APITimeoutError) else "could not connect"
                    raise BackendUnavailable(
                        f"{kind} to {self._shown_url} while {what} ({attempt + 1} attempts); "
                        "is the server running and the base URL right?",
                        url=self._shown_url,
                        attempts=attempt + 1,
                    ) from None
                wait = self.retry.delay(attempt, None, self._rng)
            except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
                # A 200 whose body is not the JSON it should be (a proxy or server failing mid-answer).
                if attempt >= self.retry.max_retries:
                    raise BackendError(
                        f"{self._shown_url} answered with malformed JSON while {what}, "
                        f"{attempt + 1} attempts: {clip(str(exc), 200)}",
                        url=self._shown_url,
                        attempts=attempt + 1,
                    ) from None
                wait = self.retry.delay(attempt, None, self._rng)
            except openai.APIStatusError as exc:
                raise BackendError(
                    f"{self._shown_url} answered HTTP {exc.status_code} while {what}: "
                    f"{clip(exc.message, 300)}",
                    status=exc.status_code,
                    url=self._shown_url,
                    attempts=attempt + 1,
                ) from None
            attempt += 1
            self.retries += 1
            await asyncio.sleep(wait)

    # --- requests ----------------------------------------------------------------------------------
    def _params(self, request: Request, model: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        }
        if request.stop:
            params["stop"] = list(request.stop)
        seed = request.effective_seed()
        if seed is None:
            seed = self.seed
        if seed is not None:
            params["seed"] = seed
        if request.messages is not None:
            params["messages"] = [m.openai() for m in request.messages]
            if request.tools is not None:
                params["tools"] = list(request.tools)
                if request.tool_choice is not None:
                    params["tool_choice"] = request.tool_choice
            if request.response_format is not None:
                params["response_format"] = request.response_format
        else:
            params["prompt"] = request.prompt
        return params

    async def _acomplete(self, request: Request) -> Completion:
        model = await self._model_name()
        client, sem = self._client()
        params = self._params(request, model)
        async with sem:
            started = time.perf_counter()
            if request.messages is not None:
                resp: Any = await self._with_retries(
                    lambda: client.chat.completions.create(**params), "creating a chat completion"
                )
            else:
                resp = await self._with_retries(
                    lambda: client.completions.create(**params), "creating a completion"
                )
            latency = time.perf_counter() - started
        if not resp.choices:
            raise BackendError(
                f"{self._shown_url} returned no choices for {request.describe(60)}", url=self._shown_url
            )
        choice = resp.choices[0]
        calls: tuple[ToolCall, ...] = ()
        if request.messages is not None:
            text = choice.message.content or ""
            calls = tuple(
                ToolCall(id=c.id or "", name=c.function.name, arguments=c.function.arguments or "")
                for c in (choice.message.tool_calls or [])
                if getattr(c, "function", None) is not None
            )
        else:
            text = choice.text or ""
        usage = resp.usage
        return Completion(
            text=text,
            finish_reason=finish_reason(choice.finish_reason, bool(calls)),
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            latency_s=latency,
            model_id=self.model_id,
            tool_calls=calls,
        )

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        """Stream ``request``; a stream that breaks off (a reset, a stall, malformed data, an end without a
        finish reason) is asked again and continues where the broken one stopped: the consumer gets every
        character once, and ``retries`` counts the repeat."""
        model = await self._model_name()
        client, sem = self._client()
        params = self._params(request, model) | {"stream": True}
        async with sem:
            started = time.perf_counter()
            given = _Given()
            broken = 0
            while True:
                if request.messages is not None:
                    stream: Any = await self._with_retries(
                        lambda: client.chat.completions.create(**params), "streaming a chat completion"
                    )
                else:
                    stream = await self._with_retries(
                        lambda: client.completions.create(**params), "streaming a completion"
                    )
                parts: list[str] = []
                reason: str | None = None
                usage: Any = None
                calls = _CallAssembler()  # a resumed stream's calls come from its last attempt
                failure: Exception | None = None
                try:
                    async for chunk in stream:
                        usage = getattr(chunk, "usage", None) or usage
                        if not chunk.choices:
                            continue
                        choice = chunk.choices[0]
                        if request.messages is not None:
                            delta = choice.delta.content if choice.delta else None
                            calls.add(getattr(choice.delta, "tool_calls", None) if choice.delta else None)
                        else:
                            delta = choice.text
                        reason = choice.finish_reason or reason
                        if delta:
                            parts.append(delta)
                            new = given.take(delta, self._shown_url)
                            if new:
                                yield new
                    if reason is None:
                        raise _CutShort("the stream ended without a finish reason")
                except (openai.APIError, json.JSONDecodeError, _CutShort) as exc:
                    failure = exc
                finally:
                    # Closing the response tells the server to stop generating (early abort).
                    await stream.close()
                if failure is None:
                    break
                if broken >= self.retry.max_retries:
                    raise BackendError(
                        f"{self._shown_url} broke off the stream {broken + 1} times: "
                        f"{clip(str(failure), 300)}",
                        url=self._shown_url,
                        attempts=broken + 1,
                    )
                given.restart()
                await asyncio.sleep(self.retry.delay(broken, None, self._rng))
                broken += 1
                self.retries += 1
        tool_calls = calls.calls()
        yield Completion(
            text="".join(parts),
            finish_reason=finish_reason(reason, bool(tool_calls)),
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else len(parts),
            ),
            latency_s=time.perf_counter() - started,
            model_id=self.model_id,
            tool_calls=tool_calls,
        )

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        entry = self._clients.pop(id(loop), None)
        if entry is not None:
            await entry[0].close()


class _CutShort(Exception):
    """A stream that ended cleanly but without its final event: the answer is incomplete."""


class _Given:
    """The text a stream's consumer has been given, so that a retried stream continues where a broken one
    stopped: the retried answer's first characters are checked against what was given (a deterministic
    request gives the same answer again) and only what goes beyond it is passed on."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._text = ""
        self._position = 0  # how far the current attempt has got

    def restart(self) -> None:
        self._text = "".join(self._parts)
        self._position = 0

    def take(self, delta: str, url: str) -> str:
        """The part of ``delta`` (the current attempt's next text) that the consumer has not had yet."""
        start = self._position
        self._position += len(delta)
        overlap = max(0, min(self._position, self._length) - start)
        if overlap and delta[:overlap] != self._text[start : start + overlap]:
            raise BackendError(
                f"{url} broke off a stream at character {self._length}, and the answer it gave when asked "
                f"again differs at character {start}: the text already passed on cannot be taken back. "
                "Stream with temperature 0 (or a seed), or complete without streaming",
                url=url,
            )
        new = delta[overlap:]
        if new:
            self._parts.append(new)
            self._length += len(new)
        return new


class _CallAssembler:
    """Tool calls put together from a stream's deltas: each delta carries an ``index`` and pieces of the
    id, name and arguments of the call at that index."""

    def __init__(self) -> None:
        self._parts: dict[int, dict[str, str]] = {}

    def add(self, deltas: Any) -> None:
        for delta in deltas or ():
            entry = self._parts.setdefault(
                int(getattr(delta, "index", 0) or 0), {"id": "", "name": "", "arguments": ""}
            )
            entry["id"] += getattr(delta, "id", None) or ""
            function = getattr(delta, "function", None)
            if function is not None:
                entry["name"] += getattr(function, "name", None) or ""
                entry["arguments"] += getattr(function, "arguments", None) or ""

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(**self._parts[i]) for i in sorted(self._parts))
