"""Generated workload: distinct colloquial questions, repeated ones, and search-as-you-type prefixes."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import yaml

# Spoken openings and closings a caller wraps around a topic. Combined with the topics below they give
# tens of thousands of distinct questions, so a distinct-question run never hits the answer cache.
PREFIXES = [
    "请问", "你好，想问下", "麻烦问一下", "我们公司想了解", "老板让我问问", "咨询一下", "想打听下",
    "您好，我想知道", "我是园区一家小企业的，", "刚来园区创业，", "帮我查一下", "问个事，",
    "不好意思打扰了，", "我们厂里想弄", "外地企业想了解", "朋友让我问问", "同事说园区有新规定，",
    "听说今年改了，", "我这边是财务，", "做外贸的想问，",
]
TOPICS = [
    "营业执照怎么办", "开公司注册登记", "公司变更登记", "企业注销", "办税缴费", "发票申领", "出口退税",
    "社保开户", "公积金缴存", "招聘用工", "人才引进补贴", "外籍人员工作许可", "海关通关", "进出口报关",
    "跨境电商", "保税仓库", "工程建设项目审批", "施工许可证", "拿地即开工", "竣工验收", "消防验收",
    "环评审批", "排污许可", "水电气接入", "用电报装", "不动产登记", "厂房租赁", "融资贷款", "小微企业贷款",
    "知识产权保护", "专利申请", "商标注册", "政府采购", "招投标", "涉企收费", "惠企政策兑现",
    "企业服务热线", "政务服务一网通办", "证照分离", "告知承诺制", "信用修复", "行政处罚", "包容审慎监管",
    "法律服务", "商事纠纷调解", "破产办理", "中小投资者保护", "数据跨境", "科技型企业认定", "研发费用加计扣除",
    "企业上市辅导", "产业园区配套", "员工子女入学", "人才公寓", "停车位申请", "食品经营许可", "药品经营许可",
    "医疗器械备案", "特种设备检验", "安全生产检查",
]
SUFFIXES = [
    "找哪个部门？", "怎么办理？", "有什么新政策吗", "要多长时间", "能不能网上办", "需要准备什么材料",
    "是谁牵头负责的", "今年有变化吗", "有没有优惠", "流程复杂吗", "去哪里办", "可以加快吗",
    "有人指导吗", "收费吗", "能一次办好吗",
]
# Words a hotline agent types into the console search; each is searched by its 1-4 character prefixes.
SEARCH_WORDS = [
    "营业执照", "行政审批局", "园区税务局", "人社局", "园区海关", "规建委", "消防大队", "生态环境局",
    "经发委", "金融局", "企业服务中心", "全链通", "拿地即开工", "桩基先行", "一网通办", "知识产权",
    "跨境电商", "出口退税", "不动产登记", "招投标", "政府采购", "信用修复", "人才公寓", "公积金",
    "社保", "发票", "施工许可", "竣工验收", "排污许可", "融资", "破产", "调解",
]


def _eval_questions(project_root: Path) -> set[str]:
    path = project_root / "eval" / "questions.yaml"
    if not path.exists():
        return set()
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {str(item.get("question", "")).strip() for item in items if isinstance(item, dict)}


def distinct_questions(project_root: Path, seed: int = 2023) -> list[str]:
    """Every prefix x topic x suffix combination, shuffled; eval-set texts left out so the bench never tunes on them."""
    excluded = _eval_questions(project_root)
    combos = [f"{p}{t}{s}" for p, t, s in itertools.product(PREFIXES, TOPICS, SUFFIXES)]
    combos = [q for q in dict.fromkeys(combos) if q not in excluded]
    random.Random(seed).shuffle(combos)
    return combos


def short_questions(n: int, seed: int = 7) -> list[str]:
    """Short distinct questions (topic + closing) for the in-process embedding floor."""
    combos = [f"{t}{s}" for t, s in itertools.product(TOPICS, SUFFIXES)]
    random.Random(seed).shuffle(combos)
    return combos[:n]


def search_prefixes() -> list[str]:
    """The 1-4 character prefixes of the search words, in typing order."""
    return [w[:k] for w in SEARCH_WORDS for k in range(1, min(4, len(w)) + 1)]


class QuestionPool:
    """Hands out distinct questions without repeats across the whole run (the server's caches outlive a phase)."""

    def __init__(self, questions: list[str]):
        self._questions = questions
        self._next = 0

    def take(self, n: int) -> list[str]:
        if self._next + n > len(self._questions):
            raise RuntimeError(f"question pool exhausted: {n} more wanted, {len(self._questions) - self._next} left")
        out = self._questions[self._next : self._next + n]
        self._next += n
        return out

    @property
    def remaining(self) -> int:
        return len(self._questions) - self._next
