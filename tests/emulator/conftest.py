"""Fixtures: real boto3 clients pointed at the session's emulator (tests/conftest.py)."""

import pytest
from emulator_helpers import make_client

NO_RETRY = {"total_max_attempts": 1, "mode": "standard"}


@pytest.fixture(autouse=True)
def fresh_state(emulator):
    emulator.state.reset()


@pytest.fixture(scope="session")
def runtime(emulator):
    client = make_client(emulator.url, "bedrock-runtime", retries=NO_RETRY)
    yield client
    client.close()


@pytest.fixture(scope="session")
def raw_runtime(emulator):
    """No client-side parameter validation, so the server's own checks are exercised."""
    return make_client(emulator.url, "bedrock-runtime", retries=NO_RETRY, parameter_validation=False)


@pytest.fixture(scope="session")
def control(emulator):
    client = make_client(emulator.url, "bedrock", retries=NO_RETRY)
    yield client
    client.close()
