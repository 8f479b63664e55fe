"""Tests for bot.ops.masking: personal numbers are hidden, ordinary policy numbers are kept."""

import pytest

from bot.errors import InvalidInput
from bot.ops.masking import mask_pii

POSITIVES = [
    # mobile numbers
    ("我的手机13812345678，请回电", "我的手机〔手机号〕，请回电"),
    ("联系人：张三 139 1234 5678", "联系人：〔姓名〕 〔手机号〕"),
    ("电话是138-1234-5678。", "电话是〔手机号〕。"),
    ("+86 138-1234-5678", "〔手机号〕"),
    ("+8613812345678", "〔手机号〕"),
    ("8613812345678", "〔手机号〕"),
    ("008613812345678", "〔手机号〕"),
    ("(+86)15912345678", "〔手机号〕"),
    ("手机19912345678 2号楼", "手机〔手机号〕 2号楼"),
    ("手机１３８１２３４５６７８", "手机〔手机号〕"),  # full-width digits
    ("号码17712345678和18612345678", "号码〔手机号〕和〔手机号〕"),
    # landlines
    ("请拨0512-12345678咨询", "请拨〔电话〕咨询"),
    ("电话（0512）66681234", "电话〔电话〕"),
    ("(0512) 6668 1234", "〔电话〕"),
    ("010-87654321转123", "〔电话〕"),
    ("021 12345678", "〔电话〕"),
    ("051266681234", "〔电话〕"),
    ("0512-66681234-801找王科长", "〔电话〕找王科长"),
    ("办公电话：6668 1234", "办公电话：〔电话〕"),
    ("座机66681234", "座机〔电话〕"),
    ("Tel: 6668-1234", "Tel: 〔电话〕"),
    # ID cards
    ("身份证号320502199001011234", "身份证号〔身份证号〕"),
    ("身份证32050219900101123X号", "身份证〔身份证号〕号"),
    ("证件号32050219900101123x，", "证件号〔身份证号〕，"),
    ("110101 19900307 7789", "〔身份证号〕"),
    ("旧身份证320502900101123", "旧身份证〔身份证号〕"),
    ("ＩＤ：３２０５０２１９９００１０１１２３Ｘ", "ＩＤ：〔身份证号〕"),
    # e-mail
    ("邮箱 zhang.san+x@sip.gov.cn 收件", "邮箱 〔邮箱〕 收件"),
    ("13812345678@qq.com", "〔邮箱〕"),
    ("发到ABC_123@mail.example.com.cn吧", "发到〔邮箱〕吧"),
    ("ａｂｃ＠ｑｑ．ｃｏｍ", "〔邮箱〕"),
    # bank cards
    ("卡号6222021234567890123", "卡号〔卡号〕"),
    ("6222 0212 3456 7890", "〔卡号〕"),
    ("卡号6222-0212-3456-7890-123到账了吗", "卡号〔卡号〕到账了吗"),
    ("4111111111111111", "〔卡号〕"),
    # several kinds at once
    (
        "我叫李四，身份证320502199001011234，手机13812345678，邮箱li@163.com",
        "我叫〔姓名〕，身份证〔身份证号〕，手机〔手机号〕，邮箱〔邮箱〕",
    ),
]

NEGATIVES = [
    "12345热线可以投诉吗",
    "拨打12345政务服务便民热线",
    "第107项任务的牵头部门是谁",
    "2023年营商环境建设行动方案",
    "设立10亿元产业基金",
    "分布式光伏200千瓦以上项目",
    "15000000000元的投资",
    "13800000000 元",
    "2023-2025年三年行动",
    "2023年1月1日起施行",
    "第1至107项任务",
    "2023 2024 2025 2026 四年",
    "热线电话66681234",
    "400-820-8820",
    "统一社会信用代码91320594MA1MXXXX8K",
    "邮编215000",
    "办理时限压缩至3个工作日",
    "时间 2023-01-01 09:00-17:00",
    "苏园管〔2023〕12号文件",
    "增长13.5%",
    "1.38123456789",
    "任务编号2023010100",
    "用电报装容量160千伏安",
    "1000平方米厂房",
    "共有36家单位，涉及120个事项",
    "联系方式见附件",
    "no digits here",
    "",
]


@pytest.mark.parametrize("text,expected", POSITIVES)
def test_masks_personal_data(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_keeps_ordinary_numbers(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize("text,expected", POSITIVES)
def test_masking_is_idempotent(text, expected):
    assert mask_pii(mask_pii(text)) == expected


def test_no_digit_of_a_masked_number_survives():
    text = "身份证320502199001011234，手机13812345678，卡6222021234567890123，电话0512-66681234"
    masked = mask_pii(text)
    assert not any(ch.isdigit() for ch in masked), masked


def test_rejects_non_text():
    with pytest.raises(InvalidInput):
        mask_pii(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        mask_pii(13812345678)  # type: ignore[arg-type]
