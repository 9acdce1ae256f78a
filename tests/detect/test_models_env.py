"""Loading the detectors leaves the process environment as it was (issue 11: no process-global side effects)."""

import os

import pytest

from qualipress.detect import _models
from qualipress.errors import ModelError

GLOG_KEY = "GLOG_minloglevel"  # glog spells it in lower case


def test_env_defaults_are_scoped(monkeypatch):
    monkeypatch.delenv(GLOG_KEY, raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # the user's own value is kept, inside and after
    with _models._env_defaults(**{GLOG_KEY: "2"}, TF_CPP_MIN_LOG_LEVEL="2"):
        assert os.environ[GLOG_KEY] == "2"
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert GLOG_KEY not in os.environ
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_env_defaults_are_removed_after_an_error(monkeypatch):
    monkeypatch.delenv(GLOG_KEY, raising=False)
    with pytest.raises(RuntimeError), _models._env_defaults(**{GLOG_KEY: "2"}):
        raise RuntimeError("boom")
    assert GLOG_KEY not in os.environ


def test_selfie_segmenter_leaves_no_log_variables(monkeypatch):
    monkeypatch.delenv(GLOG_KEY, raising=False)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    _models.selfie_segmenter.cache_clear()
    try:
        _models.selfie_segmenter(0)
    except ModelError as exc:
        pytest.skip(str(exc))
    finally:
        _models.selfie_segmenter.cache_clear()
    assert GLOG_KEY not in os.environ and "TF_CPP_MIN_LOG_LEVEL" not in os.environ
