from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail.errors import CassetteError, CassetteMiss
from guardrail.models import Recorder, Replay, Request, ScriptedModel


def _record(path: Path, prompts: list[str]) -> None:
    rec = Recorder(ScriptedModel(lambda r: f"<{r.prompt}>", model_id="scripted-x"), path)
    for p in prompts:
        rec.complete(Request(prompt=p, max_tokens=4))


def test_record_then_replay(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    _record(cassette, ["a", "b"])
    lines = cassette.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["model_id"] == "scripted-x" and first["request"]["prompt"] == "a"
    replay = Replay(cassette)
    assert replay.model_id == "scripted-x"
    assert replay.complete(Request(prompt="b", max_tokens=4)).text == "<b>"
    assert "".join(replay.stream(Request(prompt="a", max_tokens=4))) == "<a>"


def test_rerecording_appends_only_new_calls(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    _record(cassette, ["a", "b"])
    _record(cassette, ["a", "b", "c"])
    assert len(cassette.read_text().splitlines()) == 3


def test_miss_names_the_request_and_the_nearest_recording(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    _record(cassette, ["What is 2+2?"])
    replay = Replay(cassette)
    with pytest.raises(CassetteMiss) as info:
        replay.complete(Request(prompt="What is 2+2?", max_tokens=5))
    text = str(info.value)
    assert str(cassette) in text
    assert 'prompt="What is 2+2?"' in text and "max_tokens=5" in text
    assert "differs in: max_tokens" in text
    assert "record" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"model_id": "m", "request": {"prompt": "a"}, "completion": {"text": "x"}}\n{not json}\n',
            ":2: not valid JSON",
        ),
        ('["a list"]\n', ":1: expected an object with model_id"),
        (
            '{"model_id": "m", "request": {"prompt": "a", "max_tokens": -1}, "completion": {"text": "x"}}\n',
            ":1: invalid request.max_tokens",
        ),
    ],
)
def test_malformed_cassette_names_file_and_line(tmp_path: Path, content: str, expected: str) -> None:
    cassette = tmp_path / "bad.jsonl"
    cassette.write_text(content)
    with pytest.raises(CassetteError, match=expected) as info:
        Replay(cassette)
    assert str(cassette) in str(info.value)


def test_missing_cassette_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="does not exist; record it first"):
        Replay(tmp_path / "nope.jsonl")


def test_torn_last_line_is_skipped_and_cut_by_the_next_recording(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    _record(cassette, ["a"])
    with cassette.open("a") as f:
        f.write('{"model_id": "scripted-x", "request": {"prom')  # a killed writer
    with pytest.warns(UserWarning, match="incomplete last line"):
        replay = Replay(cassette)
    assert replay.complete(Request(prompt="a", max_tokens=4)).text == "<a>"
    with pytest.warns(UserWarning):
        _record(cassette, ["b"])
    lines = cassette.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)


def test_cut_short_streams_replay_as_far_as_they_were_recorded(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    rec = Recorder(ScriptedModel(["long answer " * 10], chunk=4), cassette)
    it = rec.stream("q")
    first = next(it)
    it.close()  # type: ignore[attr-defined]
    line = json.loads(cassette.read_text())
    assert line["completion"]["finish_reason"] == "aborted" and line["completion"]["text"] == first

    replay = Replay(cassette)
    replayed = replay.stream("q")
    assert next(replayed) == first  # a consumer that stops where the recording stopped is served
    replayed.close()  # type: ignore[attr-defined]
    with pytest.raises(CassetteMiss, match="cut short after 4 characters"):
        list(replay.stream("q"))  # one that reads further is told to re-record
    with pytest.raises(CassetteMiss, match="cut short"):
        replay.complete("q")


def test_api_key_never_reaches_the_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrail.models.openai_model import OpenAIModel

    secret = "sk-test-SECRET-1234567890"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    remote = OpenAIModel("gpt-x", base_url="http://user:pw@127.0.0.1:9/v1")
    assert secret not in remote.model_id and "pw" not in remote.model_id and secret not in repr(remote)
    stand_in = ScriptedModel(["ok"], model_id=remote.model_id)
    Recorder(stand_in, tmp_path / "c.jsonl").complete("q")
    assert secret not in (tmp_path / "c.jsonl").read_text()
