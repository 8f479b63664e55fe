"""Masks personal data in free text before it is stored: phone, QQ and WeChat numbers, e-mail
addresses (also spelt out), identity-card, passport and bank-card numbers, number plates,
birthdays, a person's name and street address where the words around them say so, and the
unified social credit codes of sole traders (92…, which identify a person).

Hand-written recognisers rather than a general PII library: every class here is Chinese-specific
(numbers in Chinese numerals, measure words after a number, 扣扣/vx/艾特 cues, plates, 百家姓), see
the README ("Personal data in the question log") for the comparison and the table's pass rate.
"""

from __future__ import annotations

import re

from bot.corpus.invisible import strip_invisible
from bot.errors import InvalidInput

MOBILE_TAG = "〔手机号〕"
ID_CARD_TAG = "〔身份证号〕"
EMAIL_TAG = "〔邮箱〕"
LANDLINE_TAG = "〔电话〕"
BANK_CARD_TAG = "〔卡号〕"
QQ_TAG = "〔QQ号〕"
WECHAT_TAG = "〔微信号〕"
PASSPORT_TAG = "〔护照号〕"
PLATE_TAG = "〔车牌号〕"
BIRTHDAY_TAG = "〔出生日期〕"
NAME_TAG = "〔姓名〕"
ADDRESS_TAG = "〔地址〕"
CREDIT_CODE_TAG = "〔信用代码〕"


def _probe_table() -> dict[int, str]:
    # One character in, one character out, so a span found in the probe is the same span in the
    # original text: full-width forms, dashes and Chinese digits are matched as their ASCII forms
    # without rewriting the text that is kept.
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        table[ord(dash)] = "-"
    for digits in ("〇一二三四五六七八九", "零幺两叁肆伍陆柒捌玖", "零壹贰叁肆伍陆柒捌玖"):
        for value, ch in enumerate(digits):
            table.setdefault(ord(ch), str(value))
    table[ord("幺")] = "1"
    table[ord("两")] = "2"
    table[ord("壹")] = "1"
    table[ord("贰")] = "2"
    return table


_PROBE = _probe_table()
_DIGITS_IN_PROBE = re.compile(r"[0-9]")

# Units that make a digit run an amount ("15000000000元", "13800000000千瓦时"). For a number
# shaped like a phone or card number only money and physical units count: 月, 号, 年, 人 and a
# bare 万 follow phone numbers in real questions ("13812345678月底前", "…万一没人接").
_AMOUNT_UNIT = r"(?:[%元亿吨度台套]|万元|千瓦|平方|美元|[kKmM][wW]|个)"
_NOT_AMOUNT = rf"(?![0-9]|\.[0-9])(?!\s*{_AMOUNT_UNIT})"
_ANY_UNIT = r"(?:[%元万亿千百个家项人户次件年月日号台套吨米瓦度]|平方|美元|kw|KW|kW|mw|MW)"
_NOT_QUANTITY = rf"(?![0-9]|\.[0-9])(?!\s*{_ANY_UNIT})"
_NO_DIGIT_BEFORE = r"(?<![0-9])"
_SEP = r"[ .-]?"

_TLD = r"(?:com|cn|net|org|edu|gov|io|me|top|info|biz|cc|hk|tw|us|uk|de|jp)"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Spelt out to slip past filters: "zhangsan at qq dot com", "lisi艾特qq点com", "wang [at] sina [dot] cn".
_AT = r"(?:\s+at\s+|\s*[(\[]\s*at\s*[)\]]\s*|\s*艾特\s*|\s*圈a\s*)"
_DOT = r"(?:\s+dot\s+|\s*[(\[]\s*dot\s*[)\]]\s*|\s*点\s*|\.)"
_EMAIL_SPELT = re.compile(rf"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{{2,}}{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*?{_DOT}{_TLD}\b", re.I)

_DATE_YYYYMMDD = r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_DATE_YYMMDD = r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Region code, birth date, sequence number, check character; the check digit is not verified on
# purpose: a mistyped number is still somebody's.
_ID_CARD_18 = re.compile(
    rf"{_NO_DIGIT_BEFORE}[1-9][0-9]{{5}}{_SEP}{_DATE_YYYYMMDD}{_SEP}[0-9]{{3}}[0-9Xx](?![0-9A-Za-z])"
)
_ID_CARD_15 = re.compile(rf"{_NO_DIGIT_BEFORE}[1-9][0-9]{{5}}{_DATE_YYMMDD}[0-9]{{3}}(?![0-9A-Za-z])")
# Unified social credit code: registering authority 9 (market regulation) and type 2 (个体工商户).
_CREDIT_CODE_SOLE_TRADER = re.compile(r"(?<![0-9A-Za-z])92[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY](?![0-9A-Za-z])")

# Grouped digits only from card-issuer leading digits, so "2023 2024 2025 2026" stays.
_BANK_CARD = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:[0-9]{{16,19}}|[3-69][0-9]{{3}}(?:[ -][0-9]{{4}}){{3}}(?:[ -]?[0-9]{{1,3}})?)"
    rf"{_NOT_AMOUNT}"
)
# 1[3-9]x xxxx xxxx: grouped, dotted, or with a space between every digit; optionally after +86.
# A round number ("13800000000") is an amount, not a phone.
_MOBILE = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:(?:\(\+?86\)|(?:\+|00)?86){_SEP})?"
    rf"(?!1[3-9][0-9]0{{8}})1 ?[3-9](?: ?[0-9]){{9}}(?![0-9])|"
    rf"{_NO_DIGIT_BEFORE}(?:(?:\(\+?86\)|(?:\+|00)?86){_SEP})?1[3-9][0-9](?:[ .-][0-9]{{4}}){{2}}(?![0-9])"
)

# Area code (010, 02x, 0xxx) then a 7- or 8-digit local number, optional extension.
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LOCAL = r"[0-9]{3,4}[ -]?[0-9]{4}"
_EXTENSION = r"(?:(?:-|转|ext\.?\s?|#)[0-9]{1,5})?"
_LANDLINE = re.compile(rf"(?:\({_AREA}\)\s?|{_NO_DIGIT_BEFORE}{_AREA}{_SEP}){_LOCAL}{_EXTENSION}{_NOT_QUANTITY}")
# A local number without area code is only recognisable by the word in front of it.
_LANDLINE_AFTER_WORD = re.compile(
    rf"(?<!热线)(?:电话|座机|固话|传真|联系方式|[Tt]el|TEL|拨打|拨|打|致电|呼)(?:号码)?(?:是|为)?\s*:?\s*"
    rf"({_NO_DIGIT_BEFORE}{_LOCAL}{_EXTENSION}){_NOT_QUANTITY}"
)
_QQ = re.compile(r"(?:QQ|qq|Qq|扣扣|企鹅)(?:号码|号)?\s*(?:是|为)?\s*[:：]?\s*([1-9][0-9]{4,10})(?![0-9])")
_WECHAT = re.compile(
    r"(?:微信|薇信|威信|V信|v信|VX|vx|Vx|WX|wx|weixin|WeChat|wechat)(?:号码|号|ID|id)?\s*(?:是|为)?\s*[:：]?\s*"
    r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
)
# Chinese passports (E, G, D, S, P + 8 digits, or E + letter + 7 digits), and others after the word 护照.
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])(?:[EGDSP][0-9]{8}|E[A-HJ-NP-Z][0-9]{7})(?![0-9A-Za-z])")
_PASSPORT_AFTER_WORD = re.compile(r"护照(?:号码|号)?\s*(?:是|为)?\s*[:：]?\s*([A-Z]{1,2}[0-9]{6,9})(?![0-9A-Za-z])")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"[{_PROVINCES}][A-HJ-NP-Z][·・.\- ]?(?=[A-HJ-NP-Z0-9]*[0-9])[A-HJ-NP-Z0-9]{{5,6}}(?![A-Za-z0-9])")
_DATE = r"(?:19|20)?[0-9]{2}\s*(?:年|[-./])\s*(?:1[0-2]|0?[1-9])\s*(?:月|[-./])\s*(?:3[01]|[12][0-9]|0?[1-9])\s*[日号]?"
_BIRTHDAY = re.compile(
    rf"(?:生日|出生日期|出生于|生于|出生在|DOB|[Bb]irthday|[Bb]orn on)(?:是|为|在)?\s*[:：]?\s*({_DATE})"
    rf"|({_DATE})(?=\s*(?:出生|生的|生人))"
)

# 百家姓: the commonest single surnames and the compound ones; a name is taken only after a cue.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_COMPOUND = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|令狐|宇文|司徒|夏侯"
_NAME = re.compile(
    rf"(?:我叫|我的名字是|名字叫|姓名[是为]?\s*[:：]?|联系人[是为]?\s*[:：]?|本人)\s*"
    rf"((?:{_COMPOUND}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}}?)(?=[，,。；;、\s]|$|电话|手机|身份证|住|家)"
)
# A company's, shop's or registered address is public record, not a person's: those cues are left.
_ADDRESS = re.compile(
    r"(?<!公司)(?<!企业)(?<!单位)(?<!工厂)(?<!门店)(?<!注册)(?<!经营)(?<!办公)(?<!厂)(?<!店)"
    r"(?:家庭住址|住址|地址|家住|住在|居住在)[是为在]?\s*[:：]?\s*"
    r"([\u4e00-\u9fffA-Za-z0-9\-#]{2,30}?(?:路|街|巷|弄|道|村|组|小区|花园|苑|公寓|大厦|广场|新村|家园)"
    r"[\u4e00-\u9fffA-Za-z0-9\-#]{0,20}(?:号楼|号|室|栋|幢|单元|楼|层))"
)

# Earlier recognisers win where matches overlap: an e-mail address may hold a phone number, an
# 18-digit ID number is also a 16-19 digit run. Each is (pattern, tag, group holding the data).
_RECOGNISERS: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (_EMAIL, EMAIL_TAG, 0),
    (_EMAIL_SPELT, EMAIL_TAG, 0),
    (_CREDIT_CODE_SOLE_TRADER, CREDIT_CODE_TAG, 0),
    (_ID_CARD_18, ID_CARD_TAG, 0),
    (_BANK_CARD, BANK_CARD_TAG, 0),
    (_ID_CARD_15, ID_CARD_TAG, 0),
    (_MOBILE, MOBILE_TAG, 0),
    (_PASSPORT, PASSPORT_TAG, 0),
    (_PASSPORT_AFTER_WORD, PASSPORT_TAG, 1),
    (_LANDLINE, LANDLINE_TAG, 0),
    (_QQ, QQ_TAG, 1),
    (_WECHAT, WECHAT_TAG, 1),
    (_LANDLINE_AFTER_WORD, LANDLINE_TAG, 1),
    (_PLATE, PLATE_TAG, 0),
    (_BIRTHDAY, BIRTHDAY_TAG, -1),
    (_ADDRESS, ADDRESS_TAG, 1),
)


def _spans(text: str, probe: str) -> list[tuple[int, int, str]]:
    taken: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in taken)

    for pattern, tag, group in _RECOGNISERS:
        for m in pattern.finditer(probe):
            # -1: whichever group matched (a pattern with alternatives).
            g = group if group >= 0 else next(i for i in range(1, (m.lastindex or 0) + 1) if m.group(i))
            if m.group(g) and free(m.start(g), m.end(g)):
                taken.append((m.start(g), m.end(g), tag))
    # Names are read from the text itself: Chinese digits in a name are not digits.
    for m in _NAME.finditer(text):
        if free(m.start(1), m.end(1)):
            taken.append((m.start(1), m.end(1), NAME_TAG))
    return sorted(taken)


_CUES = re.compile(r"[@＠]|艾特|\bat\b|[(\[]at[)\]]|QQ|扣扣|企鹅|微信|薇信|威信|v信|vx|wx|weixin|wechat|护照|生日|出生|生于|叫|姓名|联系人|本人|住|地址|[" + _PROVINCES + "][A-Z]", re.I)


def mask_pii(text: str) -> str:
    """Return `text` without invisible characters and with personal data replaced by tags such as 〔手机号〕."""
    if not isinstance(text, str):
        raise InvalidInput(f"mask_pii expects text, got {type(text).__name__}")
    # Characters that draw nothing go first: "138\u200b1234\u200b5678" is a phone number.
    text = strip_invisible(text)
    probe = text.translate(_PROBE)
    # Most questions have neither seven digits nor a cue word: they stop here.
    if len(_DIGITS_IN_PROBE.findall(probe)) < 5 and not _CUES.search(probe):
        return text
    out: list[str] = []
    pos = 0
    for start, end, tag in _spans(text, probe):
        out.append(text[pos:start])
        out.append(tag)
        pos = end
    out.append(text[pos:])
    return "".join(out)
