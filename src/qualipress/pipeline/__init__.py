"""Batch runs: input expansion, resume from the report, parallel workers, atomic writes, verification."""

from qualipress.pipeline.batch import (
    REPORT_NAME,
    BatchSummary,
    CompressOptions,
    Job,
    compress_paths,
    expand_inputs,
    process_one,
    read_report,
    summary_dict,
)
from qualipress.pipeline.hooks import DefaultHooks, PipelineHooks, Plan

__all__ = [
    "REPORT_NAME",
    "BatchSummary",
    "CompressOptions",
    "DefaultHooks",
    "Job",
    "PipelineHooks",
    "Plan",
    "compress_paths",
    "expand_inputs",
    "process_one",
    "read_report",
    "summary_dict",
]
