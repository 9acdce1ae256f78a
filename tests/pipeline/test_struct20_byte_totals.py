"""A batch's totals and its per-codec rows count bytes and the saving one way (views.byte_totals)."""

from qualipress.pipeline.batch import BatchSummary
from qualipress.pipeline.views import byte_totals, codec_rows


def _rec(codec, b_in, b_out, error=None):
    return {"input": "x", "codec": codec, "error": error, "input_bytes": b_in, "bytes": b_out, "target_met": True,
            "encodes": 1, "metrics": {}}


def test_totals_and_codec_rows_agree():
    records = [_rec("jpeg", 1000, 250), _rec("avif", 3000, 500), _rec(None, 400, 0, error="unreadable")]
    skipped = [_rec("jpeg", 1000, 250)]
    t = BatchSummary(records, skipped, None).totals()
    rows = {r["codec"]: r for r in codec_rows(records + skipped)}
    assert (t["bytes_in"], t["bytes_out"], t["saved_percent"]) == (5000, 1000, 80.0)
    assert sum(r["bytes_in"] for c, r in rows.items() if c != "failed") == t["bytes_in"]
    assert (rows["jpeg"]["bytes_in"], rows["jpeg"]["bytes_out"], rows["jpeg"]["saved_percent"]) == (2000, 500, 75.0)
    assert rows["failed"]["saved_percent"] is None  # no output: no saving to speak of
    assert byte_totals([]) == {"bytes_in": 0, "bytes_out": 0, "saved_percent": None}
    assert BatchSummary([], [], None).totals()["saved_percent"] == 0.0  # the summary line prints a number
