"""Cues in a question's wording, read once per question: language, a task number, a list, who, a private matter."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.answering.types import Lang
from bot.corpus.numerals import parse_chinese_number

# A Chinese numeral never ends in 两: in "十二、十三两项" the 两 counts the tasks.
_CN_NUM = r"(?:[零〇一二两三四五六七八九十百]*[零〇一二三四五六七八九十百]|两)"
_NUM = rf"[0-9]+|{_CN_NUM}"
# Chinese numerals from 十 up, for bare ranges ("四十八到五十项"); "三到五项" is a count, not tasks.
_CN_TENS = r"(?:[一二三四五六七八九]?十[一二三四五六七八九]?|一百(?:零?[一二三四五六七])?)"
# After 任务/事项/序号 a Chinese numeral is a number only where the phrase ends ("任务五十六是什么"),
# not inside a word ("事项一共", "任务一览").
_CN_END = r"\s*(?:项|条|号)|[是的由谁找讲说呢吗啥,，.。?？!！、\s]|$"
_SEP = r"\s*(?:和|与|及|跟|或|、|,|，|/)\s*"
_TO = r"\s*(?:-|–|—|~|～|至|到)\s*"
_UNIT = r"(?:项|条|号|个任务|个事项)"
# A task named by its number: 第N项 / 第N条 / 第N号, 清单N号, 序号N, 任务N, N号任务, with pairs
# ("第48和49条", "第19、20两项") and ranges ("48-50项", "第75至77项"). A bare "N项" is not one: the
# plan itself says "可网办事项超1100项".
_TASK_REF_ZH = re.compile(
    rf"第\s*(?P<a>{_NUM})(?P<more>(?:{_UNIT}?(?:{_SEP}|{_TO})第?\s*(?:{_NUM}))*)\s*(?:两|三|四|几|那|这)?\s*{_UNIT}"
    rf"|(?:任务清单|清单|任务|事项|序号|编号)\s*(?:里的?|中的?|第|编号|序号|#)?\s*(?P<b>[0-9]+|{_CN_NUM}(?={_CN_END}))"
    rf"(?P<more_b>(?:{_UNIT}?(?:{_SEP}|{_TO})(?:{_NUM}))*)\s*(?:{_UNIT})?(?![0-9])"
    rf"|(?P<c>{_NUM})(?P<more_c>(?:(?:{_SEP}|{_TO})(?:{_NUM}))*)\s*号(?:任务|事项|(?:那|这)(?:条|项|个))"
    # Two or more bare numbers before the unit ("48-50项", "63和64条") name tasks; one alone does not.
    rf"|(?<![0-9.])(?P<d>[0-9]{{1,3}})(?P<more_d>(?:(?:{_SEP}|{_TO})[0-9]{{1,3}})+)\s*(?:那|这)?(?:两|三|四|五|几)?\s*(?:项|条)"
    rf"|(?<![零〇一二两三四五六七八九十百])(?P<e>{_CN_TENS})(?P<more_e>{_TO}(?:{_CN_TENS}))\s*(?:那|这)?(?:两|三|四|五|几)?\s*(?:项|条)"
)
# Letters, not word boundaries, delimit the English words: in "清单No.86那条" Chinese characters
# touch them, and Python counts those as word characters.
_TASK_REF_EN = re.compile(
    r"(?<![A-Za-z])(?:tasks?|items?|measures?|entry|entries|no\.?|number|#)\s*(?:no\.?|number|#)?\s*#?\s*(?P<a>\d{1,4})(?![0-9])"
    r"(?P<more>(?:\s*(?:-|–|to|through|and|&|,|vs\.?|versus|or|和|与|跟|及|、)\s*(?:(?:tasks?|items?|measures?)\s*)?(?:no\.?\s*|#)?\d{1,4}(?![0-9]))*)"
    r"|#\s*(?P<b>\d{1,4})(?![0-9])",
    re.I,
)
# "最后一项" / "倒数第一项" alone mean the list's last task, unless a topic's own list is named
# ("市场准入那一类的最后一项" is left to retrieval). "倒数第N项" counts from the end.
# Only where the phrase ends: "最后一项材料怎么交" asks about materials.
_ITEM_END = r"(?=是|的|由|谁|讲|说|内容|干|啥|什么|呢|吗|归|找|哪|牵头|负责|属|具体|主要|提|写|[,，.。?？!！\s]|$)"
_LAST_ZH = re.compile(rf"(?<!类的)(?<!类)(?:最后(?:一|那)\s*(?:项|条|个任务)|倒数第一(?:项|条|个)){_ITEM_END}")
_FROM_END_ZH = re.compile(rf"倒数第\s*({_NUM})\s*(?:项|条|个){_ITEM_END}")
_FIRST_ZH = re.compile(rf"(?:头一(?:项|条)|打头(?:那|的)(?:项|条)){_ITEM_END}")
_LAST_EN = re.compile(r"\b(?:the\s+)?(?:last|final)\s+(?:task|item|measure)\b", re.I)
_FIRST_EN = re.compile(r"\bthe\s+(?:very\s+)?first\s+(?:task|item)\b", re.I)
_NUMBER_IN = re.compile(rf"{_NUM}")
_RANGE_IN = re.compile(rf"({_NUM})(?:{_TO}|\s+(?:to|through|thru)\s+)(?:第|(?:tasks?|items?)\s*|no\.?\s*|#)?\s*({_NUM})", re.I)
LAST_TASK = -1  # stands for the last task of the list, whatever its number
MAX_RANGE = 20
# Another year's plan: "2022年的第5项" is not a task of this one.
_YEAR = re.compile(r"(?<![0-9])(20[0-9]{2})\s*(?:年|版)")
# Another edition named relative to this one or by a two-digit year: "去年那版清单", "22年的任务清单",
# "last year's plan". A relative year alone ("去年被罚了款") dates the asker's own affairs, not the plan.
_RELATIVE_EDITION = re.compile(
    r"(?:去年|前年|明年|后年|上一?年度?|下一?年度?|往年|(?<![0-9])(?!23)[12][0-9]年)(?:的|那|那版|那份|版)?(?:营商环境)?(?:行动)?(?:方案|任务清单|清单)"
    r"|\b(?:last|next|previous|past)\s+year'?s?\s+(?:action\s+)?(?:plan|task\s+list|list)\b",
    re.I,
)
PLAN_YEAR = "2023"

# Cues that the caller wants a whole list rather than one answer ("要交哪些材料" asks about a
# procedure, not for a list of measures). "all / every / each … task", "everything" are the English
# 全部 / 所有.
_LIST_ZH = re.compile(r"哪些(?!材料|资料|证件|证明|手续|条件|文件|费用|步骤|流程|要求)|(?:负责|牵头|承担)的(?:任务|工作|事项|事情)|都有(?:啥|什么)|有(?:啥|什么)(?:措施|举措|政策|任务|工作|事项|内容|便利|支持|改革|新举措)|(?:负责|牵头|管|承担)(?:了)?(?:什么|啥|哪)|(?:负责|牵头|管|承担|干|做)(?:了)?(?:些|一些)(?:什么|啥|事|工作|任务)|全部|所有|列(?:一下|出|下|列)|一共|哪几(?:条|项|个|件)|一(?:条条|项项|件件)|一览|都\S{0,3}(?:啥|什么|哪些)(?:任务|工作|事项|措施|活)")
# "How many" asks for a list only of what someone leads or a class holds ("经发委牵头的有几条",
# "这一类有几条"); otherwise it asks for a figure the plan may state ("网上能办的事有多少项": 超1100项).
_COUNT_ZH = re.compile(r"多少(?:项|条)|有几(?:项|条)|(?:牵头|负责|承担|管)了?几(?:项|条)")
_COUNT_OF_ZH = re.compile(r"牵头|负责|承担|管|类")
_LIST_EN = re.compile(r"\b(?:which|what)\s+(?:tasks|measures|items|things|policies|actions)\b|\blist\b|\b(?:all|every|each)\s+(?:of\s+)?(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:tasks?|measures?|polic(?:y|ies)|actions?)\b|\beverything\s+(?:under|in|on)\b|\beverything\b.*\b(?:leads?|handles?|covers?|oversees?)\b|\b(?:tasks|measures)\s+(?:led|handled|overseen|owned|run)\s+by\b|\bresponsible\s+for\s+(?:what|which)\b|\bwhat\s+(?:does|do|is)\b.*\b(?:lead|handle|responsible|in charge|cover|oversee|take care of)\b|\bmeasures\s+(?:on|for|about)\b|\b(?:what|which)\s+(?:are|were)\s+the\b.*\b(?:measures|tasks|policies|actions|items)\b", re.I)
# Cues that the list is of what someone leads: a name here is a department even if a topic shares it.
_LEAD_ZH = re.compile(r"(?:牵头|负责|承担|管)(?:了)?(?:的|些|一些)?(?:任务|工作|事项|事情|什么|啥|哪)")
_LEAD_EN = re.compile(r"\b(?:lead|leads|led|responsible|in charge|handle|handles|oversee|oversees)\b", re.I)
# Cues that the question is about a private person's own affairs (credit card, mortgage, personal
# pension or bankruptcy), which the plan, written for enterprises, does not cover even where an
# enterprise task shares the words (信用修复, 破产, 年金). 个人独资企业 is an enterprise form.
_PRIVATE_ZH = re.compile(r"个人(?!独资)|私人|信用卡|房贷|车贷|网贷")
_PRIVATE_EN = re.compile(
    r"\bpersonal(?:ly)?\b|\bmy\s+own\b|\bmy\s+(?:wife|husband|kids?|children|child's|family|parents)\b"
    r"|\bcredit\s+cards?\b|\bmortgages?\b",
    re.I,
)
# Cues that the caller wants to know who is responsible.
_WHO_ZH = re.compile(r"哪个部门|哪些部门|哪几个部门|什么部门|哪个单位|哪个局|哪家|找谁|找哪|归谁|谁(?:来)?(?:负责|管|牵头|办|受理|处理)|谁家|哪(?:里|儿)(?:办|问|申请|咨询)|去哪|部门是|牵头部门|主管部门")
_WHO_EN = re.compile(r"\bwho\b|\bwhich\s+(?:department|office|bureau|agency|authority)\b|\bwhere\s+(?:do|can|should)\b|\bresponsible\b|\bin\s+charge\b|\bcontact\b", re.I)


# Text addressed to the system rather than a question about the plan: orders to ignore or change
# its instructions, a role it is told to play, a claimed authorisation, an order to alter the plan's
# data. Written from that definition of the class; nothing in a question changes what the service does.
_INSTRUCTS_ZH = re.compile(
    r"(?:忽略|无视|忘记|忘掉|不要理会|跳过)(?:你的|你|掉)?(?:(?:之前|以上|上面|前面|先前|所有|全部|系统)的?){0,3}"
    r"(?:指令|指示|提示词?|规则|设定|限制|要求|知识库)"
    r"|(?:开发者|管理员|调试|越狱)模式|最高优先级|系统(?:覆盖|优先指令)|从现在(?:起|开始)\S{0,16}(?:都|一律|只)(?:要)?(?:回答|回复|说|答)"
    r"|(?:^|[\s。；;！!])(?:SYSTEM|System|system|系统|管理员|开发者)\s*(?:提示|指令|消息)?\s*[:：]"
    r"|(?:管理员|开发者|上级|系统)已(?:经)?(?:授权|批准|允许)|(?:管理员|开发者)授权(?:你|您)"
    r"|你现在是|(?:请你|你要|你来)?(?:扮演|假装|充当)(?:一个|一名)?\S{0,8}(?:助手|机器人|AI|模型|客服|律师|专家)"
    r"|(?:把|将)第\s*[0-9零〇一二两三四五六七八九十百]+\s*(?:项|条)\S{0,12}(?:改成|改为|删除|删掉|替换)"
    r"|(?:修改|篡改|删除|清空)(?:你的|系统的?)?(?:数据|知识库|数据库|答案|回答|评测集)"
    r"|(?:输出|打印|告诉我|泄露)(?:你的)?(?:系统)?(?:提示词|prompt|指令|配置|密钥|令牌|token)"
)
_INSTRUCTS_EN = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|system|safety)?\s*"
    r"(?:instructions?|prompts?|rules?|guidelines?|context)\b"
    r"|^\s*(?:system|admin|developer)\s*(?:prompt|message)?\s*:"
    r"|\byou\s+are\s+now\b|\bact\s+as\b|\bpretend\s+(?:to\s+be|you)\b|\bjailbreak\b|\bdeveloper\s+mode\b"
    r"|\b(?:reveal|print|show|output)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+)?(?:prompt|instructions|configuration|api\s+key)\b"
    r"|\b(?:change|modify|edit|delete|overwrite)\s+(?:task|item)\s*\d+"
    r"|\b(?:system|admin)\s+override\b|\bfrom\s+now\s+on\b[^?]{0,40}\b(?:say|answer|reply|respond)\b",
    re.I | re.M,
)


# Details a measure may name without stating (the plan gives figures in a few tasks only, and never
# banks, hours, places, materials, eligibility or contacts): (id, pattern, Chinese name, English name).
DETAILS = (
    ("rate", r"利率|费率|利息|\binterest\b|\brates?\b", "利率", "the rate"),
    ("amount", r"额度|金额|多少钱|标准是多少|补贴多少|奖励多少|多少万|多少元|how much|amount|subsidy level", "金额或标准", "the amount"),
    ("banks", r"哪些银行|哪家银行|哪几家银行|合作银行|which banks?", "参与的银行", "which banks take part"),
    ("hours", r"几点|营业时间|开放时间|上班时间|办公时间|周末|opening hours|open on", "办理时间", "the opening hours"),
    ("place", r"地址|在哪|哪里办|什么地方|位置|where is|address|located", "办理地点", "the place"),
    ("materials", r"材料|资料|证件|documents?\b|paperwork", "所需材料", "the documents required"),
    ("eligibility", r"条件|资格|门槛|eligib|qualif|criteria", "申请条件", "who is eligible"),
    ("time", r"多久|几天|多长时间|时限|期限|截止|什么时候|何时|how long|deadline", "时间或期限", "the time limits"),
    ("contact", r"电话|联系方式|网址|网站|链接|phone|website|\blink\b|contact details", "联系方式", "contact details"),
    ("procedure", r"流程|步骤|怎么申请|如何申请|怎么办理|如何办理|how (?:do|can) (?:we|i) apply|procedure|steps", "办理流程", "the procedure"),
)
_DETAILS = tuple((name, re.compile(pattern, re.I), zh, en) for name, pattern, zh, en in DETAILS)
FIGURE_DETAILS = ("rate", "amount", "time")
# Asking how to break the law or slip past a check: written from that definition of the class.
_ILLEGAL_ZH = re.compile(
    r"逃税|偷税|漏税|骗税|虚开|假发票|买发票|骗取|骗补|套取|套现|洗钱|行贿|贿赂|走后门|找关系|造假|作假|伪造|假证|"
    r"不被(?:查|发现|处罚)|躲(?:避|过)(?:检查|监管|查验|执法|处罚)|逃避(?:监管|检查|执法|处罚)|规避(?:监管|检查|处罚)|钻(?:政策)?空子|瞒报|"
    r"刷单|黑工|走私"
)
_ILLEGAL_EN = re.compile(
    r"\b(?:evade|evading|evasion|launder|bribe|bribery|smuggl\w*|forge|forged|fake (?:invoices?|documents?|certificates?))\b"
    r"|\bwithout (?:getting )?(?:caught|detected|noticed)\b|\bget around (?:the )?(?:inspection|rules|checks?)\b",
    re.I,
)


def asked_detail_ids(question: str) -> tuple[str, ...]:
    return tuple(name for name, pattern, _, _ in _DETAILS if pattern.search(question))


def detail_names(question: str, lang: str) -> list[str]:
    return [en if lang == "en" else zh for _, pattern, zh, en in _DETAILS if pattern.search(question)]


def illegal_intent(question: str) -> bool:
    return bool(_ILLEGAL_ZH.search(question) or _ILLEGAL_EN.search(question))


# Tags and character references: a pasted <p style="font-family:Arial"> is not English words.
_MARKUP = re.compile(r"<[^<>]{0,300}>|&(?:[A-Za-z]{2,10}|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")


def is_english(question: str) -> bool:
    """Decided on the text without markup."""
    question = _MARKUP.sub(" ", question)
    cjk = sum(1 for ch in question if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in question if ch.isascii() and ch.isalpha())
    return latin > 2 * cjk and latin >= 3


def _numbers(span: str) -> list[int]:
    """Every number a reference names, ranges expanded: "48-50" -> 48, 49, 50."""
    out: list[int] = []
    ranged = {m.start(): m for m in _RANGE_IN.finditer(span)}
    pos = 0
    while pos < len(span):
        m = ranged.get(pos)
        if m is not None:
            a, b = parse_chinese_number(m.group(1)), parse_chinese_number(m.group(2))
            if a is not None and b is not None and 0 < b - a <= MAX_RANGE:
                out.extend(range(a, b + 1))
                pos = m.end()
                continue
        n = _NUMBER_IN.match(span, pos)
        if n is not None:
            value = parse_chinese_number(n.group(0))
            if value is not None:
                out.append(value)
            pos = n.end()
        else:
            pos += 1
    return list(dict.fromkeys(out))


def task_numbers(question: str) -> tuple[int, ...]:
    """The task numbers a question names, in order; negative ones count from the end (LAST_TASK, -1,
    for "the last task"); () for none."""
    q = unicodedata.normalize("NFKC", question)
    from_end = _FROM_END_ZH.search(q)
    if from_end and (n := parse_chinese_number(from_end.group(1))):
        return (-n,)  # counted from the end, like LAST_TASK (-1)
    for pattern in (_TASK_REF_ZH, _TASK_REF_EN):
        m = pattern.search(q)
        if m:
            groups = m.groupdict()
            first = next(groups[k] for k in ("a", "b", "c", "d", "e") if groups.get(k))
            more = next((groups[k] for k in ("more", "more_b", "more_c", "more_d", "more_e") if groups.get(k)), "")
            return tuple(_numbers(first + more))
    if _LAST_ZH.search(q) or _LAST_EN.search(q):
        return (LAST_TASK,)
    if _FIRST_ZH.search(q) or _FIRST_EN.search(q):
        return (1,)
    return ()


def other_year(question: str) -> bool:
    """It names a year other than the plan's ("2024年方案", "2022版", "去年那版清单")."""
    return bool(_RELATIVE_EDITION.search(question)) or any(y != PLAN_YEAR for y in _YEAR.findall(question))


def wants_list(question: str) -> bool:
    if _COUNT_ZH.search(question) and _COUNT_OF_ZH.search(question):
        return True
    return bool(_LIST_ZH.search(question) or _LIST_EN.search(question))


def private_matter(question: str, lang: str) -> bool:
    return bool((_PRIVATE_EN if lang == "en" else _PRIVATE_ZH).search(question))


def asks_who(question: str) -> bool:
    return bool(_WHO_ZH.search(question) or _WHO_EN.search(question))


def instructs_system(question: str) -> bool:
    return bool(_INSTRUCTS_ZH.search(question) or _INSTRUCTS_EN.search(question))


def leads_cue(question: str) -> bool:
    """The list asked for is of what someone leads ("X牵头的工作", "what does X lead")."""
    return bool(_LEAD_ZH.search(question) or _LEAD_EN.search(question))


@dataclass(frozen=True)
class QuestionFeatures:
    """What the wording of one question says, computed once and read by every later step."""

    text: str
    lang: Lang
    task_numbers: tuple[int, ...]
    wants_list: bool
    asks_who: bool
    names_leader: bool
    private: bool
    instructs: bool  # addressed to the system, not a question about the plan
    other_year: bool  # names a year other than the plan's
    details: tuple[str, ...]  # kinds of detail it asks for (DETAILS)
    illegal: bool  # asks how to break the law or slip past a check
    foreign_place: bool = False  # names a place the policy never names (set by the pipeline, which knows the policy)
    malice: str | None = None  # "injection" or "illegal" by the learned detector (set by the pipeline)

    @property
    def elsewhere(self) -> bool:
        """About another year's plan or another place's policy: not this plan's task or list."""
        return self.other_year or self.foreign_place


def read_question(question: str) -> QuestionFeatures:
    lang: Lang = "en" if is_english(question) else "zh"
    return QuestionFeatures(
        text=question,
        lang=lang,
        task_numbers=task_numbers(question),
        wants_list=wants_list(question),
        asks_who=asks_who(question),
        names_leader=leads_cue(question),
        private=private_matter(question, lang),
        instructs=instructs_system(question),
        other_year=other_year(question),
        details=asked_detail_ids(question),
        illegal=illegal_intent(question),
    )


# The asking part of a question (who, a list, a detail, or a bare "what is it"), as opposed to its
# subject: a follow-up reuses one and replaces the other. Each pattern is matched on its own and the
# spans merged, so overlapping cues ("找哪" and "哪个部门") make one span.
_ASKING_ZH = tuple(
    re.compile(p)
    for p in (
        _WHO_ZH.pattern,
        _LIST_ZH.pattern,
        *(p for _, p, _, _ in DETAILS if not p.isascii()),
        r"(?:哪些|什么|啥|哪几项|哪个)(?:任务|工作|事项|措施|政策|部门|单位|内容|支持|便利)",
        r"是什么|是啥|什么意思|讲的?(?:是)?什么|说的?(?:是)?什么|怎么(?:办|弄|做|申请|办理)?|如何(?:办理|申请)?",
        r"有没有|能不能|可不可以|可以吗|能否|是否|[吗呢吧啊呀么]+$",
    )
)


def asking_spans(question: str) -> list[tuple[int, int]]:
    """[start, end) spans of the words that say what is asked rather than what it is about (Chinese)."""
    covered = [False] * len(question)
    for pattern in _ASKING_ZH:
        for m in pattern.finditer(question):
            covered[m.start() : m.end()] = [True] * (m.end() - m.start())
    spans: list[tuple[int, int]] = []
    for i, c in enumerate(covered):
        if c and (not spans or spans[-1][1] != i):
            spans.append((i, i + 1))
        elif c:
            spans[-1] = (spans[-1][0], i + 1)
    return spans
