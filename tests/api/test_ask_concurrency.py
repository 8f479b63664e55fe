"""settings.ask_concurrency: how many asks a worker computes at once over HTTP; the rest wait their turn."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import ValidationError

from bot.api.app import create_app
from bot.settings import Settings

QUESTIONS = [f"第{n}项由哪个部门牵头" for n in (3, 17, 29, 41, 58, 66, 80, 95)]


class _CountingBot:
    """The real service, counting how many asks run at the same moment."""

    def __init__(self, bot) -> None:
        self._bot = bot
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __getattr__(self, name):
        return getattr(self._bot, name)

    def cached_answer(self, *a, **kw):
        return None  # every request computes, so every one passes through the ask threads

    def ask(self, *a, **kw):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return self._bot.ask(*a, **kw)
        finally:
            with self._lock:
                self.running -= 1


@pytest.mark.parametrize("slots", [1, 2])
def test_no_more_asks_run_at_once_than_the_setting_allows(api_settings, policy_bot, start_server, slots):
    counting = _CountingBot(policy_bot)
    base = start_server(create_app(api_settings(ask_concurrency=slots), bot=counting)).url

    def ask(question: str) -> httpx.Response:
        return httpx.post(f"{base}/api/ask", json={"question": question}, timeout=60)

    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        responses = list(pool.map(ask, QUESTIONS))
    assert [r.status_code for r in responses] == [200] * len(QUESTIONS)
    assert [r.json()["tasks"][0] for r in responses] == [3, 17, 29, 41, 58, 66, 80, 95]
    assert 1 <= counting.most <= slots


@pytest.mark.parametrize("value", [0, 65])
def test_ask_concurrency_out_of_range_is_a_clear_error(value):
    with pytest.raises(ValidationError, match="ask_concurrency"):
        Settings(ask_concurrency=value)
