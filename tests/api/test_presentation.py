"""How answers read, over real HTTP: lead department and next step first, each task quoted once,
lists one line per task in groups, English throughout for English questions, and the console's
ranking by what a task is about."""

import re

import httpx

from bot.answering.compose import RELATED_FLOOR

CJK = re.compile(r"[\u4e00-\u9fff]")


def ask(base, question):
    r = httpx.post(f"{base}/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_lead_department_and_next_step_come_first(live_server):
    body = ask(live_server, "企业注销找哪个部门？")
    first_line = body["answer"].splitlines()[0]
    assert first_line.startswith("该事项由行政审批局牵头")
    assert "可联系牵头部门行政审批局办理，或拨打12345" in first_line
    # No made-up contact details: the only number in the next step is the hotline.
    assert re.findall(r"\d{5,}", first_line) == ["12345"]
    assert body["reply"].count("。") <= 2 and "12345" in body["reply"]


def test_a_task_asked_by_number_is_quoted_once(live_server):
    body = ask(live_server, "第32项是什么")
    quote = "巩固压缩整体通关时间工作成效"
    assert body["answer"].count(quote) == 1
    assert [c["task"] for c in body["citations"]] == [32]


def test_each_task_is_cited_at_most_once(live_server):
    for question in ["企业注销找哪个部门？", "企业开办可以在家门口的便民服务中心办吗？", "报税找谁", "开票怎么开"]:
        tasks = [c["task"] for c in ask(live_server, question)["citations"]]
        assert len(tasks) == len(set(tasks)), question


def test_related_tasks_are_near_the_best_one(live_server):
    body = ask(live_server, "企业开办可以在家门口的便民服务中心办吗？")
    scores = [c["score"] for c in body["citations"]]
    assert all(s >= RELATED_FLOOR * scores[0] - 1e-3 for s in scores[1:])


def test_a_department_list_is_one_line_per_task_grouped_by_topic(live_server):
    body = ask(live_server, "税务局牵头哪些任务？")
    lines = body["answer"].splitlines()
    task_lines = [line for line in lines if line.startswith("· 第")]
    assert len(task_lines) == len(body["tasks"]) == 9
    assert all(re.search(r"（\S+牵头）$", line) for line in task_lines)
    assert "纳税：" in lines and "市场准入与退出：" in lines
    # Within a group, task order.
    tax = lines[lines.index("纳税：") + 1 : lines.index("纳税：") + 6]
    assert [int(re.match(r"· 第(\d+)项", line).group(1)) for line in tax] == [27, 28, 29, 30, 31]


def test_english_answers_name_departments_in_english_with_chinese_once(live_server):
    body = ask(live_server, "Who handles company deregistration?")
    assert body["departments_en"][0] == "Administrative Approval Bureau"
    assert body["departments"][0] == "行政审批局"
    answer = body["answer"]
    assert answer.count("Administrative Approval Bureau (行政审批局)") == 1
    # Outside the quoted policy text 「…」 and the plan's title 《…》, no Chinese but names in parentheses.
    outside = re.sub(r"「[^」]*」|《[^》]*》|\([^)]*\)", "", answer)
    assert not CJK.search(outside), outside
    assert not CJK.search(re.sub(r"「[^」]*」|《[^》]*》|\([^)]*\)", "", body["reply"]))


def test_english_list_and_refusals(live_server):
    listed = ask(live_server, "What are the measures on cross-border trade?")
    assert "SIP Customs (园区海关)" in listed["answer"] and "cross-border trade (跨境贸易)" in listed["answer"]
    refused = ask(live_server, "How do I apply for a visa to travel to Japan?")
    assert not refused["answered"] and refused["answer"].count("12345") == 1
    assert not CJK.search(re.sub(r"《[^》]*》", "", refused["answer"]))
    stated = ask(live_server, "What interest rate do innovation credit loans charge?")
    assert stated["kind"] == "not_stated" and stated["answer"].count("12345") == 1
    assert "Science and Technology Innovation Committee (科创委)" in stated["answer"]


def search(base, q, **params):
    r = httpx.get(f"{base}/api/search", params={"q": q, **params}, timeout=10)
    assert r.status_code == 200
    return r.json()["results"]


def test_console_ranks_tasks_led_by_customs_before_a_co_led_one(live_server):
    results = search(live_server, "海关", limit=20)
    order = [r["task"] for r in results]
    led = [r["task"] for r in results if r["departments"][0] == "园区海关"]
    assert 32 in led and 6 in order
    assert order.index(32) < order.index(6)
    # Every task the customs leads comes before any it merely shares.
    assert order[: len(led)] == led


def test_console_topic_and_text_count_too(live_server):
    results = search(live_server, "纳税", limit=10)
    assert {r["task"] for r in results[:5]} == {27, 28, 29, 30, 31}


def test_a_body_text_hit_reads_out_the_task_and_its_lead(live_server):
    preamble = search(live_server, "营商品牌影响力")
    hit = next(r for r in preamble if r["task"] is None)
    assert hit["reply"].startswith("《苏州工业园区2023年营商环境建设行动方案》正文写道") and "12345" in hit["reply"]
    for r in search(live_server, "注销"):
        assert r["task"] and f"第{r['task']}项" in r["reply"] and "牵头" in r["reply"]
