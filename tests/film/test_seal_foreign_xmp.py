"""An output may carry a source's own XMP (carried metadata), not a qualipress seal: reading it finds no seal
fields instead of raising (review of session 11: `verify` now reads every lossy output's seal)."""

from __future__ import annotations

from qualipress.film.seal import parse_packet


def test_an_old_xap_packet_has_no_seal_fields():
    old = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xapmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xapmeta><?xpacket end="w"?>')
    assert parse_packet(old) == {}


def test_a_broken_packet_has_no_seal_fields():
    assert parse_packet(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF") == {}
