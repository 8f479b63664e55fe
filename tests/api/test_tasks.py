"""Browsing endpoints: tasks, one task, departments, categories."""

import httpx


def get(base, path):
    return httpx.get(f"{base}{path}", timeout=10)


def test_all_tasks_in_order(live_server):
    tasks = get(live_server, "/api/tasks").json()["tasks"]
    assert [t["number"] for t in tasks] == list(range(1, 108))
    for t in tasks:
        assert t["text"] and t["departments"] and t["category"]


def test_one_task(live_server, policy_bot):
    r = get(live_server, "/api/tasks/6")
    assert r.status_code == 200
    task = r.json()
    assert set(task) == {"number", "doc", "category", "part", "section", "text", "departments", "body", "reply"}
    assert task == policy_bot.browse.task(6)
    assert "第6项" in task["reply"]


def test_unknown_task_is_404_json(live_server):
    r = get(live_server, "/api/tasks/999")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "999" in r.json()["error"]["message"]


def test_departments_cover_every_task(live_server):
    departments = get(live_server, "/api/departments").json()["departments"]
    names = {d["name"] for d in departments}
    assert "行政审批局" in names
    covered = {n for d in departments for n in d["tasks"]}
    assert covered == set(range(1, 108))


def test_categories_partition_the_tasks(live_server):
    categories = get(live_server, "/api/categories").json()["categories"]
    numbers = [n for c in categories for n in c["tasks"]]
    assert sorted(numbers) == list(range(1, 108))
    assert len(set(numbers)) == len(numbers)
