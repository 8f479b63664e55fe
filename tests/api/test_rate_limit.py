"""Per-client rate limit on /api/ask: 429 with Retry-After, keyed by address, proxies trusted only when configured."""

import httpx
import pytest

from bot.api.app import create_app
from bot.errors import ConfigError

LIMIT = 3


@pytest.fixture(scope="module")
def limited_server(api_settings, policy_bot, start_server):
    return start_server(create_app(api_settings(rate_limit_per_minute=LIMIT), bot=policy_bot)).url


def ask(base, headers=None):
    return httpx.post(f"{base}/api/ask", json={"question": "第6项是什么"}, headers=headers, timeout=30)


def test_over_the_limit_is_429_with_retry_after(limited_server):
    # A spoofed X-Forwarded-For must not buy extra requests when no proxy is trusted.
    statuses = [ask(limited_server, {"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(LIMIT)]
    assert statuses == [200] * LIMIT
    r = ask(limited_server, {"X-Forwarded-For": "10.0.0.99"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= 60


def test_other_endpoints_are_not_limited(limited_server):
    for _ in range(LIMIT + 2):
        assert httpx.get(f"{limited_server}/api/tasks/6").status_code == 200


def test_trusted_proxy_limits_each_forwarded_client(api_settings, policy_bot, start_server):
    settings = api_settings(rate_limit_per_minute=1, trust_forwarded=True)
    base = start_server(create_app(settings, bot=policy_bot)).url
    assert ask(base, {"X-Forwarded-For": "203.0.113.1"}).status_code == 200
    assert ask(base, {"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    # The proxy appends the real peer on the right; what the client wrote on the left is not trusted.
    assert ask(base, {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"}).status_code == 429
    assert ask(base, {"X-Forwarded-For": "203.0.113.2"}).status_code == 200


def test_default_app_limit_comes_from_settings(api_settings, policy_bot):
    app = create_app(api_settings(rate_limit_per_minute=60), bot=policy_bot)
    assert app.state.ask_limiter.item.amount == 60


def test_replicas_share_one_limit_through_redis(api_settings, policy_bot, start_server, redis_url):
    # Two app instances stand for two replicas behind one proxy: the limit is per client, not per replica.
    settings = api_settings(rate_limit_per_minute=LIMIT, rate_limit_storage=redis_url)
    first = start_server(create_app(settings, bot=policy_bot)).url
    second = start_server(create_app(settings, bot=policy_bot)).url
    statuses = [ask(base).status_code for base in (first, second, first)]
    assert statuses == [200] * LIMIT
    assert ask(second).status_code == 429
    assert ask(first).status_code == 429


def test_memory_storage_is_per_instance(api_settings, policy_bot, start_server):
    settings = api_settings(rate_limit_per_minute=1)
    first = start_server(create_app(settings, bot=policy_bot)).url
    second = start_server(create_app(settings, bot=policy_bot)).url
    assert ask(first).status_code == 200
    assert ask(first).status_code == 429
    assert ask(second).status_code == 200


def test_unknown_storage_is_a_clear_error(api_settings, policy_bot):
    with pytest.raises(ConfigError, match="rate_limit_storage 'nosuch://x' cannot be used"):
        create_app(api_settings(rate_limit_storage="nosuch://x"), bot=policy_bot)


def test_unreachable_redis_lets_requests_through(api_settings, policy_bot, start_server):
    # Nothing listens on port 1: the limit cannot be counted, and the service keeps answering.
    settings = api_settings(rate_limit_per_minute=1, rate_limit_storage="redis://127.0.0.1:1/0")
    base = start_server(create_app(settings, bot=policy_bot)).url
    assert [ask(base).status_code for _ in range(3)] == [200, 200, 200]
