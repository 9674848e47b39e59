"""Pure rules of the student archive: the official destination categories (毕业去向), what counts as placed,
the dates of an archive's life (profile years, survey, the 31 August change deadline, follow-ups), and masking.
No Flask, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from app.platform.clock import LOCAL_TZ

# -- archive statuses ----------------------------------------------------------------------------------------
STUDYING = "studying"        # enrolled, yearly profile updates
GRADUATING = "graduating"    # graduation year: survey and destination registration
ALUMNUS = "alumnus"          # graduated, follow-ups
SEALED = "sealed"            # read-only; the alumnus may still ask to update the career record
ARCHIVE_STATUSES = (STUDYING, GRADUATING, ALUMNUS, SEALED)


# -- destination categories (教育部 毕业去向 classification) ----------------------------------------------------
@dataclass(frozen=True)
class Category:
    code: str
    group: str          # the official group (协议和合同就业 ...)
    label: str          # the official category
    placed: bool        # counts towards 毕业去向落实率
    evidence: tuple[str, ...]   # what may prove it (empty: nothing to prove)
    study: str | None = None    # domestic | abroad for further study


AGREEMENT_EVIDENCE = "agreement"   # a tripartite agreement in force, linked from the agreement area
CONTRACT_EVIDENCE = "contract"     # an uploaded labour contract / employment proof
ADMISSION_EVIDENCE = "admission"   # an uploaded admission letter
PROOF_EVIDENCE = "proof"           # another uploaded proof (enlistment notice, business licence ...)
EMPLOYMENT = (AGREEMENT_EVIDENCE, CONTRACT_EVIDENCE)

G_CONTRACT, G_FLEXIBLE, G_BUSINESS, G_STUDY, G_NOT_EMPLOYED = (
    "协议和合同就业", "灵活就业", "自主创业", "升学", "未就业")
CATEGORIES: tuple[Category, ...] = (
    Category("agreement", G_CONTRACT, "签就业协议形式就业", True, (AGREEMENT_EVIDENCE,)),
    Category("contract", G_CONTRACT, "签劳动合同形式就业", True, EMPLOYMENT),
    Category("research_assistant", G_CONTRACT, "科研助理、管理助理", True, EMPLOYMENT),
    Category("enlisted", G_CONTRACT, "应征义务兵", True, (PROOF_EVIDENCE,)),
    Category("national_programme", G_CONTRACT, "国家基层项目", True, (PROOF_EVIDENCE, CONTRACT_EVIDENCE)),
    Category("local_programme", G_CONTRACT, "地方基层项目", True, (PROOF_EVIDENCE, CONTRACT_EVIDENCE)),
    Category("other_employment", G_FLEXIBLE, "其他录用形式就业", True, (CONTRACT_EVIDENCE, PROOF_EVIDENCE)),
    Category("freelance", G_FLEXIBLE, "自由职业", True, (PROOF_EVIDENCE,)),
    Category("self_employed", G_BUSINESS, "自主创业", True, (PROOF_EVIDENCE,)),
    Category("further_study", G_STUDY, "升学", True, (ADMISSION_EVIDENCE,), study="domestic"),
    Category("abroad", G_STUDY, "出国、出境", True, (ADMISSION_EVIDENCE,), study="abroad"),
    Category("seeking", G_NOT_EMPLOYED, "待就业", False, ()),
    Category("preparing_study", G_NOT_EMPLOYED, "不就业拟升学", False, ()),
    Category("other_not_employed", G_NOT_EMPLOYED, "其他暂不就业", False, ()),
)
BY_CODE = {c.code: c for c in CATEGORIES}
UNREGISTERED = "seeking"  # a graduate with no confirmed destination counts as 待就业
PLACED_CODES = tuple(c.code for c in CATEGORIES if c.placed)
EMPLOYER_KINDS = ("机关", "事业单位", "国有企业", "三资企业", "民营企业", "其他企业", "部队", "其他")
PERSONNEL_RIGHTS_KINDS = ("机关", "事业单位", "国有企业", "部队")  # the dossier can go to the employer

# a registration: registered -> verified (counselor) -> confirmed (office); returned at either check
REGISTERED, VERIFIED, CONFIRMED, RETURNED, SUPERSEDED = "registered", "verified", "confirmed", "returned", "superseded"


def category(code: str) -> Category:
    return BY_CODE[code]


def is_placed(code: str | None) -> bool:
    return code is not None and BY_CODE[code].placed


def destination_problems(values: dict) -> dict[str, str]:
    """What is missing in a destination registration, field -> problem code:
    required (a field the category needs), evidence (the evidence kind does not fit the category)."""
    code = values.get("category")
    if code not in BY_CODE:
        return {"category": "required"}
    cat = BY_CODE[code]
    problems: dict[str, str] = {}
    if cat.evidence:
        kind = values.get("evidence_kind")
        if kind not in cat.evidence:
            problems["evidence_kind"] = "evidence"
        elif kind == AGREEMENT_EVIDENCE and not values.get("agreement_id"):
            problems["agreement_id"] = "required"
        elif kind != AGREEMENT_EVIDENCE and not values.get("evidence_file"):
            problems["evidence_file"] = "required"
    if cat.study:
        if not values.get("school"):
            problems["school"] = "required"
    elif cat.placed and code not in ("enlisted", "freelance"):
        for name in ("employer_name", "region_province"):
            if not values.get(name):
                problems[name] = "required"
    return problems


# -- the dates of an archive's life ---------------------------------------------------------------------------
def local_moment(day: date, at: time = time(9, 0)) -> datetime:
    return datetime.combine(day, at, LOCAL_TZ)


def graduation_day(graduation_year: int) -> date:
    return date(graduation_year, 6, 30)


def change_deadline(graduation_year: int) -> datetime:
    """Destinations may change until the end of 31 August of the graduation year."""
    return datetime.combine(date(graduation_year, 8, 31), time(23, 59, 59), LOCAL_TZ)


def may_change(graduation_year: int, now: datetime) -> bool:
    return now <= change_deadline(graduation_year)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][month - 1]
    return date(year, month, min(day.day, last))


PROFILE_WINDOW = timedelta(days=60)
FOLLOWUP_WINDOW = timedelta(days=60)
FOLLOWUP_REMINDERS = (timedelta(days=14), timedelta(days=35))


def schedule(enrolment_year: int, graduation_year: int, today: date | None = None) -> dict:
    """The archive process's dates (ISO text, the office's time zone): one profile update each study year
    (1 October, open 60 days), the intention survey at the start of the graduation year, the change deadline,
    follow-ups 6 months and 3 years after graduation (reminders after 14 and 35 days, closed after 60).
    A student whose archive opens after enrolment (`today`) is not asked for the years already over."""
    first = enrolment_year
    if today is not None:
        first = max(first, int(academic_year(today)[:4]))
    profile_years = list(range(first, graduation_year - 1))
    profile_days = [date(year, 10, 1) for year in profile_years]
    grad = graduation_day(graduation_year)

    def followup(months: int, prefix: str) -> dict:
        opens = local_moment(add_months(grad, months))
        return {f"{prefix}_at": opens.isoformat(),
                f"{prefix}_remind_1": (opens + FOLLOWUP_REMINDERS[0]).isoformat(),
                f"{prefix}_remind_2": (opens + FOLLOWUP_REMINDERS[1]).isoformat(),
                f"{prefix}_close": (opens + FOLLOWUP_WINDOW).isoformat()}

    return {
        "enrolment_year": enrolment_year, "graduation_year": graduation_year,
        "profile_dates": [local_moment(d).isoformat() for d in profile_days],
        "profile_closes": [(local_moment(d) + PROFILE_WINDOW).isoformat() for d in profile_days],
        "profile_round": 0, "profile_years": profile_years,
        "survey_at": local_moment(date(graduation_year - 1, 10, 1)).isoformat(),
        "change_deadline": change_deadline(graduation_year).isoformat(),
        **followup(6, "followup_6m"), **followup(36, "followup_3y"),
    }


def archive_status_at(enrolment_year: int, graduation_year: int, today: date, sealed: bool) -> str:
    if sealed:
        return SEALED
    if today > graduation_day(graduation_year):
        return ALUMNUS
    if today >= date(graduation_year - 1, 9, 1):
        return GRADUATING
    return STUDYING


def academic_year(day: date) -> str:
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


# -- personal data --------------------------------------------------------------------------------------------
def mask_id_number(value: str | None) -> str:
    """110105200301011234 -> 110105********1234."""
    if not value:
        return ""
    return value[:6] + "*" * max(0, len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """13800001111 -> 138****1111."""
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "*" * len(value)


def id_number_problem(value: str) -> str | None:
    """GB 11643 check digit of an 18-digit resident ID number; None when valid."""
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789Xx":
        return "format"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights)) % 11]
    return None if value[17].upper() == check else "check"


# -- timeline records -----------------------------------------------------------------------------------------
PROFILE, ASSESSMENT, NOTE, SURVEY, FOLLOWUP, FOLLOWUP_MISSED, UPDATE = (
    "profile", "assessment", "note", "survey", "followup", "followup_missed", "update")
RECORD_KINDS = (PROFILE, ASSESSMENT, NOTE, SURVEY, FOLLOWUP, FOLLOWUP_MISSED, UPDATE)
