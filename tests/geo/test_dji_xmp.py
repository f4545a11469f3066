"""DJI XMP tags read from bytes: attribute and element forms, both prefixes, and what is not there."""

from __future__ import annotations

from geo.dji_xmp import XMP_SCAN_LIMIT_BYTES, dji_number, dji_xmp_tags

PACKET = (b'\xff\xd8junk<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description '
          b'drone-dji:GpsLatitude="+46.5212" drone-dji:AbsoluteAltitude=" +612.25 " DJI:GimbalYawDegree="-35.1">'
          b"<drone-dji:GimbalPitchDegree>-90.0</drone-dji:GimbalPitchDegree>"
          b"<drone-dji:GpsLatitude>1.0</drone-dji:GpsLatitude>"
          b"</rdf:Description></x:xmpmeta>tail")


def test_tags_from_attributes_and_elements_with_either_prefix():
    tags = dji_xmp_tags(PACKET)
    assert tags["AbsoluteAltitude"] == "+612.25"  # stripped
    assert tags["GimbalYawDegree"] == "-35.1"  # the older DJI: prefix
    assert tags["GimbalPitchDegree"] == "-90.0"  # element form
    assert tags["GpsLatitude"] == "+46.5212"  # the attribute wins over an element of the same name
    assert dji_number(tags, "GpsLatitude") == 46.5212


def test_no_packet_and_unclosed_packet():
    assert dji_xmp_tags(b"\xff\xd8 no metadata here") == {}
    cut = b'<x:xmpmeta drone-dji:RelativeAltitude="80.5"' + b" " * 10
    assert dji_xmp_tags(cut) == {"RelativeAltitude": "80.5"}
    far = b'<x:xmpmeta ' + b" " * XMP_SCAN_LIMIT_BYTES + b'drone-dji:RelativeAltitude="80.5"'
    assert dji_xmp_tags(far) == {}  # past the scan limit of a packet without its end tag


def test_numbers_skip_missing_empty_malformed_and_non_finite_values():
    tags = {"A": "", "B": "abc", "C": "nan", "D": "inf", "E": "+12.5"}
    assert dji_number(tags, "Z", "A", "B", "C", "D", "E") == 12.5
    assert dji_number(tags, "A", "B") is None
    assert dji_number({"X": "-0"}, "X") == 0.0
