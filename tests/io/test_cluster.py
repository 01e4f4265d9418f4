"""saropt.io.cluster: parsing --scheduler, retries, failures reported by key."""

from __future__ import annotations

import pytest

from saropt.errors import ConfigError
from saropt.io.cluster import Scheduler, parse_scheduler, run_jobs


def test_parse_scheduler() -> None:
    assert parse_scheduler(None).in_process and parse_scheduler("").in_process
    assert parse_scheduler("local:3") == Scheduler(workers=3)
    assert parse_scheduler("10.0.0.5:8786") == Scheduler(address="tcp://10.0.0.5:8786")
    assert parse_scheduler("tls://sched.example:8786").address == "tls://sched.example:8786"
    for bad in ("local", "local:0", "local:two", "http://x", "cluster"):
        with pytest.raises(ConfigError, match="--scheduler"):
            parse_scheduler(bad)


_calls: dict[str, int] = {}


def _job(key: str, fail_times: int) -> str:
    _calls[key] = _calls.get(key, 0) + 1
    if _calls[key] <= fail_times:
        raise OSError(f"{key} attempt {_calls[key]} failed")
    return key.upper()


def test_in_process_retries_then_reports_by_key() -> None:
    _calls.clear()
    jobs = [("a", ("a", 0)), ("b", ("b", 1)), ("c", ("c", 5)), ("d", ("d", 0))]
    results = {r.key: r for r in run_jobs(_job, jobs, retries=2)}
    assert results["a"].value == "A" and results["d"].value == "D"
    assert results["b"].ok and _calls["b"] == 2  # passed on its retry
    assert results["c"].error == "OSError: c attempt 3 failed" and _calls["c"] == 3
    with pytest.raises(ConfigError, match="retries"):
        list(run_jobs(_job, jobs, retries=-1))


def test_no_scheduler_answering_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import saropt.io.cluster

    monkeypatch.setattr(saropt.io.cluster, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(ConfigError, match="no dask scheduler answers"):
        list(run_jobs(_job, [("a", ("a", 0))], scheduler="127.0.0.1:9"))
