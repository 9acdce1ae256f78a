"""QA session 18: ``verify`` did not compare an archive's manifest record with its ``.qpl`` header (a record's
codec rewritten to "jpgls" still verified OK)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualipress.film import manifest
from qualipress.film.archive import archive_paths
from qualipress.film.verify import verify_collection


def _edit_first_record(arch: Path, **changes: object) -> None:
    path = arch / manifest.MANIFEST
    lines = path.read_text().splitlines()
    rec = json.loads(lines[0])
    rec.update(changes)
    lines[0] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(("changes", "what"), [
    ({"codec": "jpgls"}, "codec"),
    ({"model": "tiff"}, "model"),
    ({"source_bytes": 1}, "source size"),
    ({"sizes": {"jpegls": 1}}, "set of codec sizes"),
    ({"rest_bytes": 7}, "rest section size"),
    ({"source": "other.0001001.dpx"}, "source file name"),
])
def test_a_record_that_disagrees_with_its_qpl_header_is_reported(dpx_sequence: Path, tmp_path: Path,
                                                                 changes: dict[str, object], what: str) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch, codecs=("jpegls",))
    assert verify_collection(arch).ok
    _edit_first_record(arch, **changes)
    rep = verify_collection(arch)
    assert not rep.ok
    assert len(rep.metric_mismatch) == 1 and f"another {what} (" in rep.metric_mismatch[0]


def test_a_manifest_without_the_newer_fields_still_verifies(dpx_sequence: Path, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    archive_paths([dpx_sequence], arch)
    path = arch / manifest.MANIFEST
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in ("model_note", "residual_bytes")})
                            + "\n" for r in recs))
    assert verify_collection(arch).ok
