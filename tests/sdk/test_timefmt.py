"""One time formatter: ISO 8601 in the chosen zone, for every unix time a person reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govchain import timefmt
from govchain.approval.cases import when
from govchain.errors import DecodedError, InvalidInput
from govchain.identity.base import iso_time
from govchain.sharing.base import iso

T = 1795963356  # 2026-11-29T14:42:36Z


@pytest.fixture(autouse=True)
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(timefmt.ENV_TZ, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    yield
    timefmt.set_zone(None)


def test_utc_is_written_with_z_and_other_zones_with_their_offset() -> None:
    timefmt.set_zone("UTC")
    assert timefmt.iso(T) == "2026-11-29T14:42:36Z"
    timefmt.set_zone("Asia/Shanghai")
    assert timefmt.iso(T) == "2026-11-29T22:42:36+08:00"
    timefmt.set_zone("America/New_York")
    assert timefmt.iso(T) == "2026-11-29T09:42:36-05:00"


def test_the_environment_chooses_when_no_option_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(timefmt.ENV_TZ, "Asia/Shanghai")
    assert timefmt.iso(T).endswith("+08:00")
    timefmt.set_zone("UTC")
    assert timefmt.iso(T).endswith("Z")


def test_every_module_formats_with_the_same_function() -> None:
    timefmt.set_zone("Asia/Shanghai")
    assert iso(T) == when(T) == iso_time(T) == "2026-11-29T22:42:36+08:00"
    assert iso_time(0) == "never"


def test_a_bad_zone_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput, match="time zone 'Mars/Base'"):
        timefmt.set_zone("Mars/Base")


def test_explanations_show_times_as_dates() -> None:
    timefmt.set_zone("UTC")
    text = DecodedError("AccessGrantExpired", {"grantId": b"\1" * 32, "validUntil": T})
    assert "expired at 2026-11-29T14:42:36Z" in text.explanation()
    assert "1795963356" not in text.explanation()


def test_the_day_is_the_chosen_zones_and_exchange_formats_stay_utc() -> None:
    late = 1795968000  # 2026-11-29T16:00:00Z, already 30 November in Shanghai
    timefmt.set_zone("Asia/Shanghai")
    assert timefmt.day(late) == "2026-11-30"
    assert timefmt.utc_iso(late) == "2026-11-29T16:00:00Z"
    timefmt.set_zone("UTC")
    assert timefmt.day(late) == "2026-11-29"
    assert timefmt.utc_iso(late) == timefmt.iso(late)


def test_portal_and_interop_pages_use_the_one_formatter() -> None:
    """The portal's times follow the chosen zone; credentials, DID documents and evidence
    bundles stay UTC (other software reads them)."""
    from govchain.interop import did, evidence, vc_issue, vc_verify
    from govchain.portal import attestations, offers
    from govchain.portal.timeline import Access

    timefmt.set_zone("Asia/Shanghai")
    assert attestations._when(T) == "2026-11-29T22:42:36+08:00"
    assert offers._when(T) == "2026-11-29"
    assert offers._when("not a time") == ""
    fields = dict.fromkeys(Access.__dataclass_fields__, "")
    assert Access(**{**fields, "time": T, "block": 1}).when == "2026-11-29T22:42:36+08:00"
    assert Access(**{**fields, "time": None, "block": 1}).when == "?"
    for module in (did, evidence, vc_issue, vc_verify):
        assert module.utc_iso(T) == "2026-11-29T14:42:36Z"
