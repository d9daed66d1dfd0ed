"""The auditor's reads graph is well-formed XML whatever a department's code holds (review s31
F6: a code with ``"`` broke the attributes; codes are any printable ASCII but a space)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from govchain.portal.graph import reads_svg

SVG = "{http://www.w3.org/2000/svg}"
CODES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32)


def test_a_quote_in_a_code_keeps_the_svg_well_formed() -> None:
    svg = reads_svg(["CIVIL", 'HR"SS'], {("CIVIL", 'HR"SS'): 3}, "reads <&>")
    root = ET.fromstring(svg)  # noqa: S314 (our own SVG)
    (edge,) = [g for g in root.iter(SVG + "g") if g.get("class") == "edge"]
    assert edge.get("data-from") == "CIVIL" and edge.get("data-to") == 'HR"SS'


@given(st.lists(CODES, min_size=1, max_size=4, unique=True), st.integers(1, 10**6))
def test_any_printable_codes_round_trip_through_the_attributes(codes: list[str], n: int) -> None:
    reads = {(codes[0], codes[-1]): n}
    root = ET.fromstring(reads_svg(codes, reads, "t"))  # noqa: S314 (our own SVG)
    nodes = {g.get("data-department") for g in root.iter(SVG + "g") if g.get("class") == "node"}
    assert nodes == set(codes)
    (edge,) = [g for g in root.iter(SVG + "g") if g.get("class") == "edge"]
    assert (edge.get("data-from"), edge.get("data-to")) == (codes[0], codes[-1])
