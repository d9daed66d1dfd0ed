"""The fictional citizen of the reference scenario and her records in each department.

Everything here is personal data: it lives in the departments' stores and on the citizen's
device, never on chain. ``PERSONAL_DATA`` lists the values the privacy test looks for in every
transaction's calldata and every log.
"""

from __future__ import annotations

from typing import Any

NAME = "张秀英"
NAME_PINYIN = "Zhang Xiuying"
ID_NUMBER = "330102195203150027"
BIRTH_DATE = "1952-03-15"
ADDRESS = "杭州市上城区清波街道河坊街112号3单元201室"
PHONE = "13957112345"
DISABILITY_CERTIFICATE = "33010219520315002742"

#: Values that must never appear on chain, in any encoding the scanner knows.
PERSONAL_DATA: tuple[str, ...] = (
    NAME,
    NAME_PINYIN,
    ID_NUMBER,
    BIRTH_DATE,
    ADDRESS,
    PHONE,
    DISABILITY_CERTIFICATE,
)


def identity_card() -> dict[str, Any]:
    """What Public Security verified (the real-name check)."""
    return {"name": NAME, "id_number": ID_NUMBER, "birth_date": BIRTH_DATE}


def pension_record() -> dict[str, Any]:
    """HRSS: the pension file."""
    return {
        "name": NAME,
        "id_number": ID_NUMBER,
        "pension_type": "urban employee basic pension",
        "monthly_cny": 2860,
        "since": "2012-04",
    }


def property_record() -> dict[str, Any]:
    """Housing & Construction: registered property."""
    return {
        "owner": NAME,
        "id_number": ID_NUMBER,
        "address": ADDRESS,
        "floor_area_m2": 48.6,
        "properties_owned": 1,
    }


def disability_certificate() -> dict[str, Any]:
    """Disabled Persons' Federation: the disability certificate."""
    return {
        "name": NAME,
        "id_number": ID_NUMBER,
        "certificate_no": DISABILITY_CERTIFICATE,
        "kind": "physical",
        "grade": 2,
        "valid_until": "2030-12-31",
    }


def application_form() -> dict[str, Any]:
    """The one application the citizen fills in at Civil Affairs."""
    return {
        "applicant": NAME,
        "id_number": ID_NUMBER,
        "address": ADDRESS,
        "phone": PHONE,
        "benefit": "living subsidy for elderly persons with disabilities",
    }
