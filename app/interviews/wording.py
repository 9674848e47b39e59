"""Discriminatory requirements in a job posting (招聘信息中的歧视性内容), found for the career office's reviewer.

A campus platform must not publish requirements on gender, ethnicity, region of origin (户籍/籍贯), marital or
childbearing status, school tier ("985/211 only", 第一学历), age where not justified, or health conditions such as
hepatitis B carriers. `flags(text)` returns what it found, by category, so the reviewer sees it and the
employer has to edit it. Neutral phrases ("性别不限", "男女不限") are not flagged. Pure: no Flask, no database.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

GENDER = "gender"
ETHNICITY = "ethnicity"
REGION = "region"
MARITAL = "marital"
SCHOOL_TIER = "school_tier"
AGE = "age"
HEALTH = "health"
CATEGORIES = (GENDER, ETHNICITY, REGION, MARITAL, SCHOOL_TIER, AGE, HEALTH)
# For texts kept in process data (the reviewer's form), which are written in the office's language; pages
# show the categories in the reader's language (app/interviews/labels.py).
CATEGORY_NAMES = {GENDER: "性别", ETHNICITY: "民族", REGION: "地域/户籍", MARITAL: "婚育", SCHOOL_TIER: "院校层次",
                  AGE: "年龄", HEALTH: "健康状况"}

# Phrases that say there is NO such requirement; removed before looking.
_NEUTRAL = re.compile(
    r"(性别|男女|年龄|户籍|户口|籍贯|民族|婚否|婚姻状况|学历背景|院校)\s*(不限|均可|无要求|不作要求|不做要求)"
    r"|不限(性别|男女|年龄|户籍|户口|籍贯|民族|院校)"
    r"|(男女|性别)平等|不论(男女|性别|户籍|民族)")

_PATTERNS: dict[str, tuple[str, ...]] = {
    GENDER: (
        r"(限|仅限|只限|只招|只要|仅招|要求|适合)\s*(男|女)(性|生|士)?(?!女)",
        r"(男|女)(性|生|士)?\s*(优先|为主|者优先)",
        r"性别\s*[:：]?\s*(要求)?\s*[:：]?\s*(男|女)(?![女男]|不限)",
        r"不招(男|女)",
    ),
    ETHNICITY: (r"(限|仅限|只招|要求)?\s*汉族", r"少数民族(除外|不要|不招|勿扰)", r"民族\s*[:：]?\s*要求"),
    REGION: (
        r"(限|仅限|只招|要求|需)\s*(本地|本市|本省)?(户籍|户口|籍贯)",
        r"(本地|本市|本省)(户籍|户口)?(人)?\s*(优先|为主)",
        r"(本地|本市|本省)(户籍|户口|生源)",
        r"(限|仅限|只招)\s*[\u4e00-\u9fff]{1,4}(籍|人)(?![员才])",
        r"[\u4e00-\u9fff]{1,4}籍(人士|考生|学生)?\s*(优先|除外)",
        r"籍贯\s*[:：]",
    ),
    MARITAL: (r"(已婚|未婚|已育|未育|婚育)", r"(婚姻|婚姻状况)\s*[:：]\s*\S"),
    SCHOOL_TIER: (r"985", r"211", r"双一流", r"(第一|全日制第一)学历", r"(名校|重点院校|重点大学)\s*(优先|毕业|出身|背景)?",
                  r"QS\s*(前|top)\s*\d+"),
    AGE: (r"\d{2}\s*(周?岁)\s*(以下|以内|以上|之间|左右)", r"年龄\s*[:：]?\s*(要求|限制|在|不超过|不大于|小于|低于)",
          r"年龄\s*[:：]?\s*\d{2}", r"\d{2}\s*[-~至到]\s*\d{2}\s*周?岁"),
    HEALTH: (r"乙肝", r"HBV", r"大三阳|小三阳", r"(携带者|病毒携带)\s*(勿扰|不要|除外)"),
}
_COMPILED = {category: [re.compile(p, re.IGNORECASE) for p in patterns] for category, patterns in _PATTERNS.items()}


@dataclass(frozen=True)
class Flag:
    category: str
    text: str

    def as_dict(self) -> dict:
        return {"category": self.category, "text": self.text}


def normalise(text: str) -> str:
    """Full-width letters and digits to their plain forms (Ｑ９８５ -> Q985), so writing them wide hides nothing."""
    return unicodedata.normalize("NFKC", text or "")


def flags(*texts: str) -> list[Flag]:
    """What in these texts (title, description, requirements...) a reviewer must look at, in text order,
    each (category, wording) once."""
    found: list[tuple[int, Flag]] = []
    seen: set[tuple[str, str]] = set()
    for text in texts:
        clean = _NEUTRAL.sub(lambda m: " " * len(m.group(0)), normalise(text))
        for category, patterns in _COMPILED.items():
            for pattern in patterns:
                for match in pattern.finditer(clean):
                    wording = match.group(0).strip()
                    if wording and (category, wording) not in seen:
                        seen.add((category, wording))
                        found.append((match.start(), Flag(category, wording)))
    return [flag for _pos, flag in sorted(found, key=lambda item: item[0])]


def summary(found: list[Flag]) -> str:
    """One line for the reviewer's form: "性别：限男；年龄：35岁以下"."""
    return "；".join(f"{CATEGORY_NAMES[f.category]}：{f.text}" for f in found)
