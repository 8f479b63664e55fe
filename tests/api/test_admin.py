"""Admin API over real HTTP: token auth, eval-set CRUD under ETags, the question log, evaluation runs."""

import hashlib
import time
from pathlib import Path

import httpx
import pytest
import yaml

from bot.api.app import create_app


@pytest.fixture(scope="module")
def admin(live_server, live_settings):
    return httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {live_settings.admin_token}"}, timeout=30)


@pytest.fixture(scope="module", autouse=True)
def original_eval_set_untouched(eval_file_original):
    before = hashlib.sha256(eval_file_original.read_bytes()).hexdigest()
    yield
    assert hashlib.sha256(eval_file_original.read_bytes()).hexdigest() == before


def current_etag(admin):
    return admin.get("/api/admin/questions").json()["etag"]


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic dGVzdDp0ZXN0", "Bearer"])
def test_missing_or_wrong_token_is_401(live_server, auth):
    headers = {"Authorization": auth} if auth else {}
    for method, path in [("GET", "/api/admin/questions"), ("GET", "/api/admin/log"), ("POST", "/api/admin/eval/run")]:
        r = httpx.request(method, f"{live_server}{path}", headers=headers)
        assert r.status_code == 401, (path, auth)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


def test_list_questions_with_etag(admin, live_settings):
    r = admin.get("/api/admin/questions")
    assert r.status_code == 200
    body = r.json()
    data = Path(live_settings.eval_file).read_bytes()
    assert body["etag"] == hashlib.sha256(data).hexdigest()
    assert r.headers["etag"] == f'"{body["etag"]}"'
    assert len(body["questions"]) == len(yaml.safe_load(data))
    dev = admin.get("/api/admin/questions", params={"split": "dev", "kind": "department"}).json()["questions"]
    assert dev and all(q["split"] == "dev" and q["kind"] == "department" for q in dev)
    found = admin.get("/api/admin/questions", params={"q": "q0001"}).json()["questions"]
    assert [q["id"] for q in found] == ["q0001"]


def test_create_edit_delete_with_etags(admin, policy_bot):
    etag = current_etag(admin)
    departments = policy_bot.browse.task(6)["departments"]
    record = {"question": "第六项任务由哪些部门负责？", "kind": "department", "split": "dev", "tasks_any": [6], "departments": departments}

    created = admin.post("/api/admin/questions", json=record, headers={"If-Match": etag})
    assert created.status_code == 201, created.text
    qid = created.json()["question"]["id"]
    assert created.json()["question"]["lang"] == "zh"
    etag2 = created.json()["etag"]
    assert etag2 != etag and created.headers["etag"] == f'"{etag2}"'
    assert any(q["id"] == qid for q in admin.get("/api/admin/questions").json()["questions"])

    # The ETag read before the create is stale now.
    stale = admin.put(f"/api/admin/questions/{qid}", json={"note": "x"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"

    edited = admin.put(f"/api/admin/questions/{qid}", json={"note": "checked by staff"}, headers={"If-Match": f'"{etag2}"'})
    assert edited.status_code == 200, edited.text
    assert edited.json()["question"]["note"] == "checked by staff"
    assert edited.json()["question"]["tasks_any"] == [6]

    deleted = admin.delete(f"/api/admin/questions/{qid}", headers={"If-Match": edited.json()["etag"]})
    assert deleted.status_code == 200
    assert all(q["id"] != qid for q in admin.get("/api/admin/questions").json()["questions"])
    assert admin.delete(f"/api/admin/questions/{qid}", headers={"If-Match": deleted.json()["etag"]}).status_code == 404


def test_edits_without_if_match_are_428(admin):
    r = admin.post("/api/admin/questions", json={"question": "x", "kind": "out_of_scope"})
    assert r.status_code == 428
    assert r.json()["error"]["code"] == "precondition_required"
    assert admin.delete("/api/admin/questions/q0001").status_code == 428


def test_invalid_records_are_422_with_details(admin):
    etag = current_etag(admin)
    # Task 999 does not exist; the set's own validation explains why.
    r = admin.post(
        "/api/admin/questions",
        json={"question": "某个任务由谁牵头？", "kind": "department", "split": "dev", "tasks_any": [999], "departments": ["行政审批局"]},
        headers={"If-Match": etag},
    )
    assert r.status_code == 422
    assert "999" in str(r.json()["error"])
    unknown_field = admin.post("/api/admin/questions", json={"question": "x", "kind": "content", "bogus": 1}, headers={"If-Match": etag})
    assert unknown_field.status_code == 422
    assert "bogus" in str(unknown_field.json()["error"]["details"])
    bad_id = admin.put("/api/admin/questions/../../etc", json={}, headers={"If-Match": etag})
    assert bad_id.status_code in (404, 422)
    assert current_etag(admin) == etag  # nothing was written


def test_log_views_and_promote(admin, live_server, policy_bot):
    question = "我想问一下公司注销具体找哪个部门办理"
    assert httpx.post(f"{live_server}/api/ask", json={"question": question}, timeout=30).status_code == 200
    deadline = time.monotonic() + 10
    while not (items := admin.get("/api/admin/log", params={"q": "注销具体找"}).json()["items"]):
        assert time.monotonic() < deadline, "the question never reached the log"
        time.sleep(0.1)
    logged = items[0]
    page = admin.get("/api/admin/log", params={"limit": 1}).json()
    assert page["total"] >= 1 and len(page["items"]) == 1

    topics = admin.get("/api/admin/log/topics").json()
    six = next(t for t in topics["tasks"] if t["task"] == 6)
    assert six["count"] >= 1 and six["text"] == policy_bot.browse.task(6)["text"]
    assert any(q["count"] >= 1 for q in topics["questions"])
    attention = admin.get("/api/admin/log/attention", params={"threshold": 2.0}).json()
    assert set(attention) == {"unanswered", "low_confidence"}
    assert any(item["id"] == logged["id"] for item in attention["low_confidence"])
    # Without a threshold, the service's own review line (from its calibration) is used.
    default = admin.get("/api/admin/log/attention")
    assert default.status_code == 200 and set(default.json()) == {"unanswered", "low_confidence"}
    line = policy_bot.answerability.review_below
    assert all(item["score"] < line for item in default.json()["low_confidence"])

    etag = current_etag(admin)
    body = {"kind": "department", "split": "test", "tasks_any": [6], "departments": policy_bot.browse.task(6)["departments"]}
    promoted = admin.post(f"/api/admin/log/{logged['id']}/promote", json=body, headers={"If-Match": etag})
    assert promoted.status_code == 201, promoted.text
    record = promoted.json()["question"]
    assert record["question"] == logged["question"]
    assert record["kind"] == "department" and record["split"] == "test"
    assert str(logged["id"]) in record["note"]

    stale = admin.post(f"/api/admin/log/{logged['id']}/promote", json=body, headers={"If-Match": etag})
    assert stale.status_code == 409
    missing = admin.post("/api/admin/log/99999999/promote", json=body, headers={"If-Match": promoted.json()["etag"]})
    assert missing.status_code == 404


def test_evaluation_run_in_background(api_settings, policy_bot, start_server, tmp_path):
    # A small set keeps the run short; the runner and report are the real ones.
    small = tmp_path / "small.yaml"
    records = yaml.safe_load(Path(api_settings().eval_file).read_text(encoding="utf-8"))[:12]
    for r in records:
        r["split"] = "dev"
    small.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    settings = api_settings(eval_file=small)
    base = start_server(create_app(settings, bot=policy_bot)).url
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {settings.admin_token}"}, timeout=30)

    started = client.post("/api/admin/eval/run")
    assert started.status_code == 202
    run_id = started.json()["run"]
    assert started.json()["status"] == "running"
    second = client.post("/api/admin/eval/run")
    assert second.status_code == 409 or client.get("/api/admin/eval/runs").json()["runs"][0]["status"] != "running"

    deadline = time.monotonic() + 240
    while (run := next(r for r in client.get("/api/admin/eval/runs").json()["runs"] if r["id"] == run_id))["status"] == "running":
        assert time.monotonic() < deadline, "evaluation did not finish"
        time.sleep(0.5)
    assert run["status"] == "done", run
    assert run["summary"]["n"] == 12
    assert 0.0 <= run["summary"]["systems"]["full"]["top1"] <= 1.0

    report = client.get(f"/api/admin/eval/reports/{run_id}/")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "sandbox" in report.headers["content-security-policy"]
    assert httpx.get(f"{base}/api/admin/eval/reports/{run_id}/").status_code == 401
    assert client.get("/api/admin/eval/reports/no-such-run/").status_code == 404


def test_errors_name_the_field_and_how_to_fix_it_in_both_languages(admin):
    etag = current_etag(admin)
    # Task 6 is led by four departments in this order; one of them alone is not its lead list.
    r = admin.post(
        "/api/admin/questions",
        json={"question": "企业注销找哪个部门？", "kind": "department", "split": "dev", "tasks_any": [6], "departments": ["园区税务局"]},
        headers={"If-Match": etag},
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["message"].startswith("评测集有 1 处问题") and "fix the fields named below" in error["message"]
    (line,) = error["details"]
    assert "departments：应为所填任务的牵头部门" in line and "行政审批局、园区税务局、人社局、园区海关" in line
    assert "departments: departments ['园区税务局'] are not the lead departments of task(s) [6]" in line
    # The example the message gives is itself accepted.
    fixed = admin.post(
        "/api/admin/questions",
        json={"question": "企业注销找哪个部门？", "kind": "department", "split": "dev", "tasks_any": [6],
              "departments": ["行政审批局", "园区税务局", "人社局", "园区海关"]},
        headers={"If-Match": etag},
    )
    assert fixed.status_code == 201
    saved = fixed.json()
    assert admin.delete(f"/api/admin/questions/{saved['question']['id']}", headers={"If-Match": saved["etag"]}).status_code == 200
    bad_kind = admin.post("/api/admin/questions", json={"question": "x", "kind": "who"}, headers={"If-Match": etag})
    message = bad_kind.json()["error"]["message"]
    assert bad_kind.status_code == 422 and "kind：取值无效" in message and "kind: Input should be" in message
    assert bad_kind.json()["error"]["details"][0]["msg_zh"] == "取值无效，请从可选值中选一个"
