"""Plain-data views of a batch's records for summaries: one row per codec, one row per file."""

from __future__ import annotations

from typing import Any


def codec_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per chosen codec: files, bytes in and out, saved percent, files that missed the target, fallbacks, files whose
    lossless file was smaller than the lossy one (``lossless_smaller``).

    Parameters
    ----------
    records : list of dict
        Report records (failed ones, without a codec, are counted under ``"failed"``).
    """
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        name = r.get("codec") if not r.get("error") else "failed"
        row = rows.setdefault(name or "failed", {"codec": name or "failed", "files": 0, "bytes_in": 0,
                                                 "bytes_out": 0, "missed": 0, "fallbacks": 0,
                                                 "lossless_smaller": 0})
        row["files"] += 1
        row["bytes_in"] += int(r.get("input_bytes") or 0)
        row["bytes_out"] += int(r.get("bytes") or 0)
        row["missed"] += 0 if r.get("target_met") else 1
        row["fallbacks"] += 1 if r.get("fallback") else 0
        row["lossless_smaller"] += 1 if r.get("lossless_smaller") else 0
    for row in rows.values():
        b_in, b_out = row["bytes_in"], row["bytes_out"]
        row["saved_percent"] = round(100.0 * (1 - b_out / b_in), 2) if b_in and b_out else None
    return sorted(rows.values(), key=lambda row: (row["codec"] == "failed", -row["files"], row["codec"]))


def file_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per file: input, output, codec, setting, bytes in and out, target met, fallback, why a byte budget was
    missed (``miss_reason``), lossless-smaller reason, warnings (what the ok line says: a larger output, clipped
    float light, a reduced bit depth ...) and error."""
    return [{"input": r.get("input"), "output": r.get("delivered_to") or r.get("output"), "codec": r.get("codec"),
             "params": r.get("params"), "input_bytes": r.get("input_bytes"), "bytes": r.get("bytes"),
             "target_met": bool(r.get("target_met")), "resumed": bool(r.get("resumed")),
             "fallback": r.get("fallback"), "miss_reason": r.get("miss_reason"),
             "lossless_smaller": r.get("lossless_smaller"), "warnings": list(r.get("warnings") or []),
             "error": r.get("error")} for r in records]
