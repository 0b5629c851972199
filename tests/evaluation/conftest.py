import pytest

from xinyong.evaluation import service


@pytest.fixture(autouse=True)
def _fresh_run_admissions() -> None:
    # The API's minimum interval between runs is kept per process: each test starts afresh.
    service.reset_admissions()
