"""Tests for bot/corpus/parse.py: repair functions on synthetic snippets, then the real policy text."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from bot import cli
from bot.corpus.departments import DepartmentTable, UnknownDepartment
from bot.errors import InvalidInput, NotFound
from bot.corpus.parse import (
    DocumentMeta,
    clean_text,
    heading_text,
    join_page_breaks,
    lead_phrase,
    link_tasks,
    normalise_category,
    normalise_spaces,
    parse_document,
    parse_task_rows,
    repair_latex,
    should_join,
    split_sentences,
)
from bot.corpus import load_corpus
from bot.corpus.numerals import cn_number
from bot.corpus.views import corpus_summary, corpus_to_json
from bot.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
DOC_ID = "sip-2023-business-environment-plan"
TEXT_FILE = CORPUS / f"{DOC_ID}.md"

TABLE = DepartmentTable.from_mapping(
    {"departments": {"甲局": {}, "乙委": {"aliases": {"乙": "简称"}}, "丙中心": {}}}, "synthetic"
)


# ---------------------------------------------------------------- repair functions

def test_repair_latex():
    assert repair_latex(r"实现进口压缩比 $\geq 60\%$ ；出口") == "实现进口压缩比 ≥60% ；出口"
    assert repair_latex(r"$\leq 5$ 天，$3 \times 4$") == "≤5 天，3×4"
    assert repair_latex("没有公式的文字 100%") == "没有公式的文字 100%"
    # an unknown command stays visible rather than being guessed
    assert repair_latex(r"$\frob 1$") == r"$\frob 1$"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("扩大至 10 亿元", "扩大至10亿元"),
        ("建设 工作", "建设工作"),
        ("加快推进 mRNA 疫苗", "加快推进mRNA疫苗"),
        ("预审 IPC 分类号", "预审IPC分类号"),
        ("升级保服通 2.0，解决", "升级保服通2.0，解决"),
        ("压缩比 ≥60% ；出口", "压缩比≥60%；出口"),
        ("Free Trade  Zone 2023", "Free Trade Zone 2023"),
        ("  前后\u3000空白\n ", "前后空白"),
        ("“关证一链通” 试点", "“关证一链通”试点"),
    ],
)
def test_normalise_spaces(raw, expected):
    assert normalise_spaces(raw) == expected


def test_clean_text_repairs_latex_then_spaces():
    assert clean_text(r"实现进口压缩比 $\geq 60\%$ ；出口压缩比 $\geq 80\%$ 。") == "实现进口压缩比≥60%；出口压缩比≥80%。"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("# 苏州工业园区 2023 年营商环境 建设行动方案", "苏州工业园区2023年营商环境建设行动方案"),
        ("#### （五）纳税", "（五）纳税"),
        ("### **三、聚焦需求深化制度供给**", "三、聚焦需求深化制度供给"),
        ("**（一）高端人才支撑**", "（一）高端人才支撑"),
        ("<b>二、立足公平强化权益保障</b>", "二、立足公平强化权益保障"),
        ("便利市场主体退出。积极推广应用", None),
        ("<b>二、立足公平</b>\t\t\t", None),  # a table row, not a heading
    ],
)
def test_heading_text(line, expected):
    assert heading_text(line) == expected


@pytest.mark.parametrize("numeral, value", [("一", 1), ("八", 8), ("十", 10), ("十六", 16), ("二十", 20), ("二十三", 23), ("一百零五", 105)])
def test_cn_number(numeral, value):
    assert cn_number(numeral) == value


def test_cn_number_rejects_non_numerals():
    with pytest.raises(ValueError):
        cn_number("甲")
    with pytest.raises(ValueError):
        cn_number("")


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("（八） 知识产权 保护", "（八）知识产权保护"),
        ("(二) 办理建筑 许可", "（二）办理建筑许可"),
        ("（一） 市场准入 与退出", "（一）市场准入与退出"),
        ("<b>(十六) 产业政策 配套</b>", "（十六）产业政策配套"),
    ],
)
def test_normalise_category(cell, expected):
    assert normalise_category(cell) == expected


def test_split_sentences_keeps_punctuation_and_never_cuts():
    text = "便利市场主体退出。积极推广“注销专区”；持续优化“一件事。”建立健全歇业备案制度！是否可行？余下"
    parts = split_sentences(text)
    assert parts == ["便利市场主体退出。", "积极推广“注销专区”；", "持续优化“一件事。”", "建立健全歇业备案制度！", "是否可行？", "余下"]
    assert "".join(parts) == text
    # a full stop inside a book title or brackets does not end the sentence
    assert split_sentences("出台《办法。细则》，执行（试行。）到位。") == ["出台《办法。细则》，执行（试行。）到位。"]
    # unbalanced brackets fall back to a plain split rather than one giant sentence
    assert split_sentences("第一句“未闭合。第二句。") == ["第一句“未闭合。", "第二句。"]
    assert split_sentences("") == []


def test_page_break_join():
    assert should_join("引导金融机构合作开发产品，纳入园区风", "险补偿资金池支持范围。推广创新积分贷。")
    assert join_page_breaks(["一句话。纳入园区风", "险补偿资金池支持范围。"]) == ["一句话。纳入园区风险补偿资金池支持范围。"]
    # a finished paragraph is not joined to the next
    assert join_page_breaks(["第一段。", "第二段。"]) == ["第一段。", "第二段。"]
    # labels (signature, date, marks) are not prose and stay apart
    assert join_page_breaks(["苏州工业园区管理委员会", "2023年6月1日", "（此件公开发布）"]) == [
        "苏州工业园区管理委员会", "2023年6月1日", "（此件公开发布）"]
    # a heading between the halves (None) is a barrier
    assert join_page_breaks(["一句话，纳入园区风", None, "险补偿资金池。"]) == ["一句话，纳入园区风", "险补偿资金池。"]
    # the attachment pointer starts its own paragraph
    assert not should_join("一句话，未完", "附件：任务清单")


def test_lead_phrase():
    assert lead_phrase(["便利市场主体登记设立。", "推动企业登记业务下沉基层站点，方便企业。"]) == "便利市场主体登记设立"
    assert lead_phrase(["完善“就近办”服务体系。", "打造15分钟政务服务圈。"]) == "完善“就近办”服务体系"
    assert lead_phrase(["只有一句。"]) == ""
    assert lead_phrase(["依托国家战略平台，绘制重点产业人才图谱。", "创新实施。"]) == ""


# ---------------------------------------------------------------- task list on synthetic rows

def _rows(text: str) -> list[tuple[int, str]]:
    return [(i, line) for i, line in enumerate(text.strip("\n").splitlines(), start=1) if line.strip()]


SYNTHETIC_ROWS = (
    "类目\t序号\t事项\t牵头部门\n"
    "一、第一部分标题\t\t\t\n"
    "（一） 甲类 事项\t1\t扩大至 10 亿元。\t甲局、 乙 委\n"
    "\t2\t第二项 $\\geq 60\\%$ 。\t乙\n"
    "\n"
    "类目\t序号\t事项\t牵头部门\n"
    "\t3\t第三项跨页。\t丙中心\n"
    "<b>二、第二部分标题</b>\t\t\t\n"
    "(二) 乙类\t4\t第四项。\t甲局\n"
)


def test_parse_task_rows_repairs_the_table():
    tasks = parse_task_rows(_rows(SYNTHETIC_ROWS), TABLE)
    assert [t.number for t in tasks] == [1, 2, 3, 4]
    assert tasks[0].text == "扩大至10亿元。" and tasks[1].text == "第二项≥60%。"
    assert tasks[0].departments == ("甲局", "乙委") and tasks[0].departments_raw == "甲局、 乙 委"
    assert tasks[1].departments == ("乙委",)
    # the category is carried across the repeated header row
    assert [t.category for t in tasks] == ["（一）甲类事项"] * 3 + ["（二）乙类"]
    assert [t.category_number for t in tasks] == [1, 1, 1, 2]
    assert tasks[2].part == "一、第一部分标题" and tasks[3].part == "二、第二部分标题"


def test_parse_task_rows_joins_a_wrapped_row():
    rows = _rows("类目\t序号\t事项\t牵头部门\n（一）甲\t1\t前半句，\t甲局\n\t\t后半句。\t乙委\n")
    (task,) = parse_task_rows(rows, TABLE)
    assert task.text == "前半句，后半句。" and task.departments == ("甲局", "乙委")


@pytest.mark.parametrize(
    "rows, error, message",
    [
        ("（一）甲\t1\t事项。\t外星局\n", UnknownDepartment, "外星局"),
        ("（一）甲\t1\t事项。\t甲局\n\t1\t重复。\t甲局\n", InvalidInput, "twice"),
        ("\t1\t没有类目。\t甲局\n", InvalidInput, "no category"),
        ("（一）甲\t一\t序号不是数字。\t甲局\n", InvalidInput, "not a number"),
        ("说明文字\t\t\t\n", InvalidInput, "cannot read"),
    ],
)
def test_parse_task_rows_fails_loudly(rows, error, message):
    with pytest.raises(error, match=message):
        parse_task_rows(_rows(rows), TABLE)


# ---------------------------------------------------------------- a synthetic document

SYNTHETIC_DOC = """
# 某某文件

### 关于印发《示例方案》的通知

各单位：

现印发给你们。

# 示例 2024 年 行动方案

为了示例，制订本方案。

## 一、第一部分

### （一）甲类事项

推动甲事项。落实乙事项，纳入园区风

险补偿资金池。

#### （二）乙类

**二、第二部分**

<b>（一）丙类</b>

丙事项第一句；丙事项第二句。

附件：示例任务清单

附件

## 示例任务清单

类目\t序号\t事项\t牵头部门
一、第一部分\t\t\t
（一） 甲类 事项\t1\t推动甲事项。\t甲局
\t2\t落实乙事项，纳入园区风险补偿资金池。\t乙
(二) 乙类\t3\t无对应正文的任务。\t丙中心
<b>二、第二部分</b>\t\t\t
（三） 丙类\t4\t丙事项第一句；丙事项第二句。\t甲局、乙委

抄送：某某
"""


def _synthetic_doc(text: str = SYNTHETIC_DOC):
    return link_tasks(parse_document(text, DocumentMeta(id="demo", title="示例2024年行动方案"), TABLE))


def test_synthetic_document_structure():
    doc = _synthetic_doc()
    assert doc.front_heading == "关于印发《示例方案》的通知"
    assert [p.text for p in doc.front_matter] == ["各单位：", "现印发给你们。"]
    assert [p.text for p in doc.preamble] == ["为了示例，制订本方案。"]
    assert [(p.number, p.title) for p in doc.parts] == [(1, "第一部分"), (2, "第二部分")]
    first, second = doc.parts
    assert [s.heading for s in first.sections] == ["（一）甲类事项", "（二）乙类"]
    assert [p.text for p in first.sections[0].paragraphs] == ["推动甲事项。落实乙事项，纳入园区风险补偿资金池。"]
    assert first.sections[1].paragraphs == ()
    assert second.sections[0].id == "demo/p2.s1"
    assert [s.text for s in second.sections[0].paragraphs[0].sentences] == ["丙事项第一句；", "丙事项第二句。"]
    assert [p.text for p in doc.closing] == ["附件：示例任务清单", "抄送：某某"]
    assert doc.attachment_title == "示例任务清单"


def test_synthetic_document_links_tasks_by_title_not_number():
    doc = _synthetic_doc()
    sents = doc.sentences()
    t1, t2, t3, t4 = doc.tasks
    assert [sents[i].text for i in t1.body] == ["推动甲事项。"]
    assert [sents[i].text for i in t2.body] == ["落实乙事项，纳入园区风险补偿资金池。"]
    assert t3.body == () and t3.section_id == "demo/p1.s2"
    # list category (三) belongs to the body's part-two section (一): matched by title
    assert t4.section_id == "demo/p2.s1" and len(t4.body) == 2


def test_document_without_task_list_still_parses():
    text = "# 示例 2024 年 行动方案\n\n引言。\n\n## 一、总体要求\n\n### （一）目标\n\n做好工作。\n"
    doc = _synthetic_doc(text)
    assert doc.tasks == () and doc.front_matter == ()
    assert [p.text for p in doc.preamble] == ["引言。"]
    assert doc.parts[0].sections[0].paragraphs[0].text == "做好工作。"


def test_document_without_known_title_starts_at_the_top():
    doc = link_tasks(parse_document("开头一段。\n\n## 一、甲\n\n内容。\n", DocumentMeta(id="x"), TABLE))
    assert [p.text for p in doc.preamble] == ["开头一段。"]
    assert doc.parts[0].paragraphs[0].text == "内容。"


# ---------------------------------------------------------------- the real policy

@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def doc(corpus):
    d = corpus.document(DOC_ID)
    assert d is not None
    return d


def test_metadata_comes_from_the_manifest(doc):
    assert doc.title == "苏州工业园区2023年营商环境建设行动方案"
    assert doc.doc_number == "苏园管〔2023〕28号" and doc.date == "2023-06-01"


def test_exactly_107_tasks_numbered_in_order(doc):
    assert [t.number for t in doc.tasks] == list(range(1, 108))


def test_every_task_has_category_part_and_department(doc):
    for t in doc.tasks:
        assert t.departments, t.number
        assert re.fullmatch(r"（[一二三四五六七八九十]+）\S+", t.category), t.category
        assert t.part.startswith(("一、", "二、", "三、")), t.number
        assert t.text and "\t" not in t.text
    categories = list(dict.fromkeys((t.category_number, t.category) for t in doc.tasks))
    assert [n for n, _ in categories] == list(range(1, 17))
    assert doc.task(49).category == "（八）知识产权保护"
    assert doc.task(49).part == "二、立足公平强化权益保障，为创新创业营造全过程安心环境"
    assert doc.task(88).category == "（十四）高端人才支撑"


def test_category_carried_across_page_break(doc):
    assert doc.task(8).category == "（一）市场准入与退出"
    assert doc.task(25).category == "（四）金融服务"


def test_header_rows_are_not_tasks(doc):
    for t in doc.tasks:
        assert "类目" not in t.category and t.text != "事项" and "牵头部门" not in t.departments


def test_damaged_department_cells_come_out_clean(doc):
    assert doc.task(6).departments == ("行政审批局", "园区税务局", "人社局", "园区海关")
    assert doc.task(6).departments_raw == "行政审批局、 园区税务局、 人社局、园区 海关"
    assert "市市场监管局" in doc.task(103).departments and "科创委" in doc.task(103).departments
    assert doc.task(87).departments == ("园区法院", "金融局", "园区税务局", "市场监管局", "行政审批局")
    assert doc.task(80).departments == ("政法委",)
    assert all(not re.search(r"\s", n) for t in doc.tasks for n in t.departments)


def test_latex_and_spaces_repaired_everywhere(doc):
    texts = [t.text for t in doc.tasks] + [p.text for p in doc.all_paragraphs()]
    assert not any("$" in x or "\\" in x for x in texts)
    assert "实现进口压缩比≥60%；出口压缩比≥80%。" in doc.task(32).text
    assert doc.task(21).text == "园区风险补偿资金池总规模扩大至10亿元。"
    assert "建设工作" in doc.task(95).text and "mRNA疫苗" in doc.task(95).text
    assert "特殊物品" in doc.task(103).text
    # no space left next to a CJK character
    cjk_space = re.compile(r"[\u4e00-\u9fff，。；、] | [\u4e00-\u9fff，。；、]")
    assert not any(cjk_space.search(x) for x in texts)


def test_page_breaks_joined(doc):
    body = [p.text for p in doc.paragraphs()]
    assert any("纳入园区风险补偿资金池支持范围" in p for p in body)
    assert any("提升涉中小投资者纠纷案件审判质效" in p for p in body)
    assert any("“关证一链通”试点扩围" in p for p in body)
    for p in body:
        assert p[-1] in "。！？；", p


def _body_lines_normalised() -> str:
    """Every non-heading line from the plan's title to the attachment line, normalised."""
    lines = TEXT_FILE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("#") and "建设行动方案" in l)
    end = next(i for i, l in enumerate(lines) if l.startswith("附件："))
    kept = []
    for line in lines[start + 1:end + 1]:
        s = line.strip()
        if not s or s.startswith("#") or re.fullmatch(r"\*\*.+\*\*|<b>.+</b>", s):
            continue
        kept.append(clean_text(s))
    return re.sub(r"\s+", "", "".join(kept))


def test_no_body_text_lost(doc):
    parsed = [p.text for p in doc.paragraphs()] + [doc.closing[0].text]
    assert doc.closing[0].text.startswith("附件：")
    assert re.sub(r"\s+", "", "".join(parsed)) == _body_lines_normalised()


def test_sentences_tile_their_paragraphs(doc):
    ids = []
    for p in doc.all_paragraphs():
        assert "".join(s.text for s in p.sentences) == p.text
        for s in p.sentences[:-1]:
            assert s.text[-1] in "。！？；”’）", s.text
        ids += [s.id for s in p.sentences]
    assert len(ids) == len(set(ids))


def test_structure_of_the_body(doc):
    assert [p.number for p in doc.parts] == [1, 2, 3]
    assert [len(p.sections) for p in doc.parts] == [7, 6, 3]
    assert doc.parts[2].sections[0].heading == "（一）高端人才支撑"  # was "#### **（一）…**"
    assert doc.parts[0].sections[4].heading == "（五）纳税"  # was "####"
    first = doc.parts[0].sections[0].paragraphs
    assert [p.lead for p in first] == ["便利市场主体登记设立", "便利市场主体退出"]
    assert doc.section_path(first[0].id) == f"{doc.parts[0].heading} > （一）市场准入与退出"
    assert doc.section_path(doc.preamble[0].id) == doc.title


def test_tasks_linked_to_body(doc):
    sentences = doc.sentences()
    linked = [t for t in doc.tasks if t.body]
    unlinked = [t.number for t in doc.tasks if not t.body]
    share = len(linked) / len(doc.tasks)
    print(f"\nbody links: {len(linked)}/{len(doc.tasks)} = {share:.1%}; unlinked: {unlinked}")
    assert share >= 0.95, f"unlinked tasks: {unlinked}"
    for t in linked:
        assert 1 <= len(t.body) <= 3
        assert all(i in sentences for i in t.body)
        # the linked sentences lie in the task's own section
        assert all(i.startswith(t.section_id + ".") for i in t.body), t.number
    sec = {t.number: doc.section(t.section_id).heading for t in doc.tasks}
    assert sec[1] == "（一）市场准入与退出" and sec[49] == "（一）知识产权保护" and sec[107] == "（三）产业政策配套"
    # different wording in the body is still found
    assert sentences[doc.task(1).body[0]].text == "推动企业登记业务下沉基层站点，方便企业属地就近办理。"
    # a task spanning two sentences gets both
    assert len(doc.task(16).body) == 2
    # a lead is a topic line, not a task's statement, except where the list repeats it (task 48)
    leads = {p.sentences[0].id for p in doc.paragraphs() if p.lead}
    assert [t.number for t in doc.tasks if set(t.body) & leads] == [48]


def test_json_view(corpus):
    data = corpus_to_json(corpus)
    json.dumps(data, ensure_ascii=False)
    (d,) = data["documents"]
    assert {"id", "title", "doc_number", "date", "issuer", "parts", "tasks"} <= set(d)
    t1 = d["tasks"][0]
    assert {"number", "category", "part", "text", "departments", "body"} <= set(t1)
    assert t1["body"] == ["推动企业登记业务下沉基层站点，方便企业属地就近办理。"]
    assert d["parts"][0]["sections"][0]["paragraphs"][0]["lead"] == "便利市场主体登记设立"
    dept = {x["name"]: x for x in data["departments"]}
    assert {"name", "aliases", "tasks"} <= set(dept["园区海关"])
    assert "海关" in dept["园区海关"]["aliases"]


def test_summary(corpus):
    text = corpus_summary(corpus)
    assert "tasks: 107" in text and "16 sections" in text
    assert "body links: " in text and "金管局 -> 金融局 (task 87)" in text
    assert "各相关部门" in text and "pseudo" in text


def test_cli_corpus(capsys):
    assert cli.main(["corpus"]) == 0
    assert "tasks: 107" in capsys.readouterr().out
    assert cli.main(["corpus", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["documents"][0]["tasks"]) == 107


# ---------------------------------------------------------------- loading a corpus directory

def test_load_corpus_is_cached_until_a_file_changes(tmp_path):
    for name in ("documents.yaml", "departments.yaml", TEXT_FILE.name):
        shutil.copy(CORPUS / name, tmp_path / name)
    first = load_corpus(tmp_path)
    assert load_corpus(tmp_path) is first
    manifest = tmp_path / "documents.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("title: 苏州", "title:  苏州"), encoding="utf-8")
    assert load_corpus(tmp_path) is not first


def test_load_corpus_with_a_second_document(tmp_path):
    for name in ("departments.yaml", TEXT_FILE.name):
        shutil.copy(CORPUS / name, tmp_path / name)
    (tmp_path / "other.md").write_text("# 另一份 通知\n\n## 一、总体要求\n\n### （一）目标\n\n做好工作。\n", encoding="utf-8")
    (tmp_path / "documents.yaml").write_text(
        "documents:\n"
        f"  - {{id: {DOC_ID}, file: {TEXT_FILE.name}, title: 苏州工业园区2023年营商环境建设行动方案}}\n"
        "  - {id: other, file: other.md, title: 另一份通知}\n",
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path)
    other = corpus.document("other")
    assert other.tasks == () and other.parts[0].sections[0].paragraphs[0].text == "做好工作。"
    assert len(corpus.document(DOC_ID).tasks) == 107
    assert {d.document for d in corpus.departments} == {DOC_ID}


def test_unknown_department_in_a_new_document_forces_review(tmp_path):
    shutil.copy(CORPUS / "documents.yaml", tmp_path / "documents.yaml")
    text = TEXT_FILE.read_text(encoding="utf-8").replace("\t100\t启用城市航站楼，不断提升区域出行便利度。\t综合协调局", "\t100\t启用城市航站楼，不断提升区域出行便利度。\t综合协调局、新设局")
    assert "新设局" in text
    (tmp_path / TEXT_FILE.name).write_text(text, encoding="utf-8")
    shutil.copy(CORPUS / "departments.yaml", tmp_path / "departments.yaml")
    with pytest.raises(ValueError, match="新设局"):
        load_corpus(tmp_path)


def test_load_corpus_errors(tmp_path):
    with pytest.raises(NotFound):
        load_corpus(tmp_path / "nowhere")
    with pytest.raises(NotFound):
        load_corpus(tmp_path)  # no documents.yaml
    (tmp_path / "documents.yaml").write_text("documents:\n  - {id: a, file: missing.md}\n", encoding="utf-8")
    with pytest.raises(NotFound, match="missing.md"):
        load_corpus(tmp_path)
    (tmp_path / "documents.yaml").write_text("documents:\n  - {file: a.md}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="id"):
        load_corpus(tmp_path)
    (tmp_path / "a.md").write_text("正文。\n", encoding="utf-8")
    (tmp_path / "documents.yaml").write_text(
        "documents:\n  - {id: a, file: a.md}\n  - {id: a, file: a.md}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="twice"):
        load_corpus(tmp_path)


def test_attachment_heading_and_task_outside_any_section():
    text = "# 示例 2024 年 行动方案\n\n## 一、甲\n\n推进内容建设。\n\n## 附件\n\n类目\t序号\t事项\t牵头部门\n（一）甲\t1\t推进内容建设。\t甲局\n"
    doc = _synthetic_doc(text)
    assert [p.text for p in doc.parts[0].paragraphs] == ["推进内容建设。"]
    (task,) = doc.tasks
    # no body section matches, so the whole body is searched
    assert task.section_id == "" and task.body == ("demo/p1.para1.sent1",)
