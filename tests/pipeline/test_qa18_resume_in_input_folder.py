"""QA session 18: ``compress DIR -o DIR`` killed between an output's write and its report line."""

import json

from qualipress.io import as_image, write_image
from qualipress.pipeline import CompressOptions, batch, compress_paths
from qualipress.search import parse_target
from tests.conftest import photo_like


def test_resume_into_the_input_folder_after_a_kill_before_the_report_line(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"p{i}.png", as_image(photo_like(48, 64, seed=i)))
    opts = CompressOptions(target=parse_target("ssim>=0.95"), codec="jpeg")
    compress_paths([folder], folder, opts)
    # the state a kill -9 leaves after p2.jpg was written, verified and its marker completed, before its report line
    report = folder / batch.REPORT_NAME
    lines = report.read_text().splitlines()
    last = json.loads(lines[-1])
    report.write_text("\n".join(lines[:-1]) + "\n")
    marker = batch._marker_path(folder, batch.Path(last["output"]))
    marker.parent.mkdir(exist_ok=True)  # a finished run removes the empty pending folder (link19)
    marker.write_text(
        json.dumps({"paths": [last["output"]], "record": last}))
    # before: OutputError "inputs would write the same output name: .../p2.jpg and .../p2.png"
    again = compress_paths([folder], folder, opts)
    assert not again.failures and not again.records and len(again.skipped) == 3  # p2 recovered, not redone
    (rec,) = [r for r in again.skipped if r["input"].endswith("p2.png")]
    assert rec.get("recovered") and rec["output"].endswith("p2.jpg")
    assert sorted(p.name for p in folder.glob("p*")) == ["p0.jpg", "p0.png", "p1.jpg", "p1.png", "p2.jpg", "p2.png"]
    third = compress_paths([folder], folder, opts)
    assert not third.records and len(third.skipped) == 3
