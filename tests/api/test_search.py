"""GET /api/search: ranked hits with highlight offsets, filters, listing by filter."""

import httpx


def search(base, **params):
    return httpx.get(f"{base}/api/search", params=params, timeout=10)


def test_search_returns_ranked_hits_with_valid_highlights(live_server):
    r = search(live_server, q="企业登记")
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "企业登记"
    assert body["total"] >= len(body["results"]) > 0
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)
    for hit in body["results"]:
        assert set(hit) == {"task", "doc", "category", "section", "departments", "text", "highlights", "score", "reply"}
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["text"])
    first = body["results"][0]
    assert any(first["text"][s:e] for s, e in first["highlights"])
    assert "企业登记" in first["text"]


def test_limit_caps_the_results(live_server):
    body = search(live_server, q="企业", limit=3).json()
    assert len(body["results"]) == 3
    assert body["total"] > 3


def test_department_filter_and_listing(live_server, policy_bot):
    dept = "行政审批局"
    body = search(live_server, department=dept, limit=100).json()
    numbers = [hit["task"] for hit in body["results"]]
    expected = next(d["tasks"] for d in policy_bot.browse.departments() if d["name"] == dept)
    assert sorted(numbers) == sorted(expected)
    assert all(dept in hit["departments"] for hit in body["results"])
    narrowed = search(live_server, q="登记", department=dept).json()
    assert narrowed["results"] and all(dept in hit["departments"] for hit in narrowed["results"])


def test_category_filter_lists_that_category(live_server, policy_bot):
    category = policy_bot.browse.categories()[0]
    body = search(live_server, category=category["name"], limit=100).json()
    assert [hit["task"] for hit in body["results"]] == category["tasks"]


def test_unknown_department_is_a_clear_422(live_server):
    r = search(live_server, department="不存在的部门")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    assert "不存在的部门" in r.json()["error"]["message"]
