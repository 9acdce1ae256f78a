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
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r.get("codec") if not r.get("error") else None) or "failed", []).append(r)
    rows = []
    for name, rs in groups.items():
        sums = byte_totals(rs)
        rows.append({"codec": name, "files": len(rs), "bytes_in": sums["bytes_in"], "bytes_out": sums["bytes_out"],
                     "missed": sum(not r.get("target_met") for r in rs),
                     "fallbacks": sum(bool(r.get("fallback")) for r in rs),
                     "lossless_smaller": sum(bool(r.get("lossless_smaller")) for r in rs),
                     "saved_percent": sums["saved_percent"]})
    return sorted(rows, key=lambda row: (row["codec"] == "failed", -row["files"], row["codec"]))


def byte_totals(records: list[dict[str, Any]]) -> dict[str, Any]:
    """``bytes_in`` and ``bytes_out`` of ``records`` and the percent of ``bytes_in`` saved (``saved_percent``,
    None unless both are above 0): the one count behind a batch's totals and its per-codec rows."""
    b_in = sum(int(r.get("input_bytes") or 0) for r in records)
    b_out = sum(int(r.get("bytes") or 0) for r in records)
    return {"bytes_in": b_in, "bytes_out": b_out,
            "saved_percent": round(100.0 * (1 - b_out / b_in), 2) if b_in and b_out else None}


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
