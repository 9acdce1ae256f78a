"""``verify`` on collections written by ``compress`` (the archive side is covered in ``test_archive.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualipress.cli import main
from qualipress.film.verify import verify_collection
from qualipress.io import as_image, write_image
from tests.conftest import photo_like


def test_sources_inside_the_output_directory_are_not_unlisted(tmp_path: Path) -> None:
    # QA: `compress dir -o dir` then `verify dir` reported every source image as an unlisted file.
    work = tmp_path / "photos"
    work.mkdir()
    write_image(work / "a.png", as_image(photo_like(64, 80)))
    assert main(["compress", str(work), "-o", str(work), "--target", "ssim>=0.9", "--codec", "webp"]) == 0
    assert verify_collection(work).ok
    (work / "stray.png").write_bytes((work / "a.png").read_bytes())  # a file no record names is still found
    assert verify_collection(work).unlisted == ["stray.png"]


def test_a_web_folder_is_verified_against_its_report(tmp_path: Path) -> None:
    # QA: `verify` on a `--for web` folder (no SHA256SUMS or manifest) said "not a qualipress collection?", exit 1.
    src, out = tmp_path / "p.png", tmp_path / "web"
    write_image(src, as_image(photo_like(64, 80, seed=3)))
    assert main(["compress", str(src), "-o", str(out), "--for", "web", "--codec", "webp",
                 "--target", "ssim>=0.9"]) == 0
    assert not (out / "SHA256SUMS").exists()
    rep = verify_collection(out, sample=1.0)
    assert rep.ok and rep.checked == 1 and rep.remeasured == 1
    assert main(["verify", str(out)]) == 0
    (written,) = out.glob("*.webp")
    written.write_bytes(written.read_bytes() + b"x")  # tampered: the report's hash no longer matches
    assert verify_collection(out).altered == [written.name]
    assert main(["verify", str(out)]) == 1
    written.unlink()
    assert verify_collection(out).missing == [written.name]


def test_report_verification_reads_the_source_once_and_decodes_the_output_once(tmp_path: Path, monkeypatch) -> None:
    # review: the re-measured sample read its source twice (a bit-depth check, then the measurement) and decoded
    # its output twice (the size check, then decode_like)
    from qualipress import codecs
    from qualipress.film import verify

    src, out = tmp_path / "p.png", tmp_path / "web"
    write_image(src, as_image(photo_like(64, 80, seed=4)))
    assert main(["compress", str(src), "-o", str(out), "--for", "web", "--codec", "webp",
                 "--target", "ssim>=0.9"]) == 0
    reads, decodes = [], []
    real_read, cls = verify.read_image, type(codecs.get("webp"))
    real_decode = cls.decode
    monkeypatch.setattr(verify, "read_image", lambda p: reads.append(p) or real_read(p))
    monkeypatch.setattr(cls, "decode", lambda self, data: decodes.append(1) or real_decode(self, data))
    rep = verify_collection(out, sample=1.0)
    assert rep.ok and rep.remeasured == 1
    assert len(reads) == 1 and len(decodes) == 1


def test_a_web_folder_gets_a_report_from_its_run_report(tmp_path: Path) -> None:
    # QA: `report` refused a `--for web` folder ("no manifest.jsonl") although `verify` accepts it.
    import json

    src, out = tmp_path / "p.png", tmp_path / "web"
    write_image(src, as_image(photo_like(64, 80, seed=5)))
    assert main(["compress", str(src), "-o", str(out), "--for", "web", "--codec", "webp",
                 "--target", "ssim>=0.9"]) == 0
    html = tmp_path / "r.html"
    assert main(["report", str(out), "-o", str(html)]) == 0
    data = json.loads(html.with_suffix(".json").read_text())
    (row,) = data["summary"]
    assert row["codec"] == "webp" and row["files"] == 1 and row["bytes_before"] == src.stat().st_size
    assert row["ssim_mean"] >= 0.9
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty), "-o", str(tmp_path / "e.html")]) == 2


def test_a_sidecar_seal_that_names_another_source_or_is_gone_is_found(tmp_path: Path) -> None:
    # qa13film: AVIF/HEIF seals live in <output>.xmp, which SHA256SUMS does not list; a sidecar whose source hash
    # and profile were rewritten (or deleted) still verified OK
    import re

    from qualipress.io import dpx

    src = tmp_path / "scans"
    src.mkdir()
    (src / "reel.0001001.dpx").write_bytes(dpx.encode_dpx(photo_like(64, 80, seed=5)[..., :3].astype("uint16") * 4))
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "avif", "--target", "ssim>=0.9"]) == 0
    (side,) = out.glob("*.avif.xmp")
    assert verify_collection(out).ok
    text = side.read_text()
    (sha,) = set(re.findall(r"[0-9a-f]{64}", text))
    side.write_text(text.replace(sha, "0" * 64))
    rep = verify_collection(out)
    assert not rep.ok and any("seal" in m and "source hash" in m for m in rep.metric_mismatch), rep
    assert main(["verify", str(out)]) == 1
    side.unlink()
    rep = verify_collection(out)
    assert not rep.ok and any(m.endswith(".avif.xmp (its seal)") for m in rep.missing), rep


def test_verify_sample_outside_its_range_is_a_usage_error(tmp_path: Path) -> None:
    """--sample is a fraction (0-1) as its help says; 5 was taken as 1 and -1 as 0 without a word (rev9)."""
    for bad in ("5", "-1"):
        assert main(["verify", str(tmp_path), "--sample", bad]) == 2


def test_verify_of_a_folder_that_is_not_a_collection_is_a_usage_error(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """misc18: ``verify`` of a plain folder said "PROBLEMS FOUND", exit 1 (as for a damaged collection), where
    ``report`` and ``restore`` refuse the same mistake with exit 2 (usage or setup error)."""
    from qualipress.errors import InputError

    plain = tmp_path / "photos"
    plain.mkdir()
    write_image(plain / "a.png", as_image(photo_like(16, 16)))
    with pytest.raises(InputError, match="not a qualipress collection"):
        verify_collection(plain)
    for argv in (["verify", str(plain)], ["report", str(plain), "-o", str(tmp_path / "r.html")],
                 ["restore", str(plain), "-o", str(tmp_path / "back")]):
        assert main(argv) == 2, argv
    assert "not a qualipress collection" in capsys.readouterr().err


def test_a_seal_and_the_manifest_must_agree_on_every_field_both_carry(tmp_path: Path) -> None:
    # qa18film: only the source hash, profile and codec were compared, so a sidecar seal whose target (or
    # metrics) was rewritten, and a manifest whose metrics were rewritten, still verified OK (neither file is in
    # SHA256SUMS)
    import json

    from qualipress.io import dpx

    src = tmp_path / "scans"
    src.mkdir()
    (src / "reel.0001001.dpx").write_bytes(dpx.encode_dpx(photo_like(64, 80, seed=6)[..., :3].astype("uint16") * 4))
    out = tmp_path / "out"
    assert main(["compress", str(src), "-o", str(out), "--codec", "avif", "--target", "ssim>=0.9"]) == 0
    (side,) = out.glob("*.avif.xmp")
    assert verify_collection(out, sample=0).ok
    text = side.read_text()
    side.write_text(text.replace("ssim&gt;=0.9<", "ssim&gt;=0.5<"))
    rep = verify_collection(out, sample=0)
    assert not rep.ok and any("target" in m and "ssim>=0.5" in m for m in rep.metric_mismatch), rep
    side.write_text(text)
    man = out / "manifest.jsonl"
    rec = json.loads(man.read_text())
    rec["metrics"]["ssim"] = 0.999
    man.write_text(json.dumps(rec) + "\n")
    rep = verify_collection(out, sample=0)
    assert not rep.ok and any("metrics" in m and "0.999" in m for m in rep.metric_mismatch), rep


def test_an_output_whose_manifest_line_is_damaged_is_a_finding(tmp_path: Path) -> None:
    # qa18film: a manifest line that no longer parses is skipped when read (as a torn last line is), so its
    # archived frame verified OK with nothing to check it against, and a lossy output was reported as "does not
    # decode (record names no codec)"
    from qualipress.io import dpx

    src = tmp_path / "scans"
    src.mkdir()
    for i in (1, 2):
        (src / f"reel.{1000 + i}.dpx").write_bytes(
            dpx.encode_dpx(photo_like(48, 64, seed=i)[..., :3].astype("uint16") * 4))
    for command, codec in (("archive", []), ("compress", ["--codec", "htj2k", "--target", "ssim>=0.9"])):
        out = tmp_path / command
        assert main([command, str(src), "-o", str(out), *codec]) == 0
        assert verify_collection(out, sample=0).ok
        man = out / "manifest.jsonl"
        lines = man.read_text().splitlines()
        broken = next(i for i, line in enumerate(lines) if "reel.1001.dpx" in line)
        lines[broken] = lines[broken][1:]  # one byte gone: the line no longer parses
        man.write_text("\n".join(lines) + "\n")
        rep = verify_collection(out, sample=0)
        assert not rep.ok, (command, rep)
        assert [m.split(":")[0] for m in rep.missing] == [m for m in (out / "SHA256SUMS").read_text().split()
                                                           if m.startswith("reel.1001.")], rep
        assert not rep.unreadable, rep


def test_a_compress_run_keeps_an_archive_in_the_same_folder_listed(tmp_path: Path) -> None:
    # qa18film: `archive scans -o col` then `compress scans -o col` rewrote manifest.jsonl and SHA256SUMS from the
    # compress records only: the .qpl files lost their records and hashes, and verify called them unlisted
    from qualipress.io import dpx

    src = tmp_path / "scans"
    src.mkdir()
    (src / "reel.1001.dpx").write_bytes(dpx.encode_dpx(photo_like(48, 64, seed=8)[..., :3].astype("uint16") * 4))
    col = tmp_path / "col"
    assert main(["archive", str(src), "-o", str(col)]) == 0
    assert main(["compress", str(src), "-o", str(col), "--codec", "htj2k", "--target", "ssim>=0.9"]) == 0
    sums = (col / "SHA256SUMS").read_text()
    assert "reel.1001.dpx.qpl" in sums and "reel.1001.jhc" in sums, sums
    assert '"kind": "lossless"' in (col / "manifest.jsonl").read_text()
    rep = verify_collection(col, sample=0)
    assert rep.ok and rep.checked == 2, rep


def test_a_manifest_output_hash_that_disagrees_with_sha256sums_is_a_finding(tmp_path: Path) -> None:
    # QA session 19: manifest.jsonl's output_sha256 of an archived frame (or a lossy output) set to another hash,
    # SHA256SUMS and the file untouched: verify said OK, although one of the two fixity lists was wrong
    import json

    from qualipress.io import dpx

    src = tmp_path / "scans"
    src.mkdir()
    for i in (1, 2):
        (src / f"reel.{1000 + i}.dpx").write_bytes(
            dpx.encode_dpx(photo_like(48, 64, seed=i)[..., :3].astype("uint16") * 4))
    for command, codec in (("archive", []), ("compress", ["--codec", "htj2k", "--target", "ssim>=0.9"])):
        out = tmp_path / command
        assert main([command, str(src), "-o", str(out), *codec]) == 0
        man = out / "manifest.jsonl"
        lines = man.read_text().splitlines()
        i = next(i for i, line in enumerate(lines) if "reel.1002.dpx" in line and "output_sha256" in line)
        rec = json.loads(lines[i])
        rec["output_sha256"] = "0" * 64
        lines[i] = json.dumps(rec)
        man.write_text("\n".join(lines) + "\n")
        rep = verify_collection(out, sample=0)
        assert not rep.ok, (command, rep)
        assert [m.split(":")[0] for m in rep.metric_mismatch] == [rec["output"]], rep
