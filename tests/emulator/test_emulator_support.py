"""The /_emulator/ test-support endpoints."""

import json

from emulator_helpers import HAIKU, ask, get_json, post_json


def test_stats_count_calls_per_operation(runtime, control, emulator):
    ask(runtime, "a")
    ask(runtime, "b")
    control.list_foundation_models()
    runtime.invoke_model(modelId="amazon.titan-embed-text-v1", body=json.dumps({"inputText": "x"}))
    stats = get_json(f"{emulator.url}/_emulator/stats")
    assert stats["calls"] == {
        "Converse": 2,
        "ConverseStream": 0,
        "InvokeModel": 1,
        "InvokeModelWithResponseStream": 0,
        "CountTokens": 0,
        "ListFoundationModels": 1,
        "GetFoundationModel": 0,
        "ListInferenceProfiles": 0,
        "GetInferenceProfile": 0,
    }
    assert stats["open_streams"] == 0


def test_requests_log_returns_last_n_with_operation_model_and_body(runtime, emulator):
    ask(runtime, "first")
    ask(runtime, "second", inferenceConfig={"maxTokens": 9})
    (entry,) = get_json(f"{emulator.url}/_emulator/requests?limit=1")
    assert entry == {
        "operation": "Converse",
        "modelId": HAIKU,
        "body": {
            "messages": [{"role": "user", "content": [{"text": "second"}]}],
            "inferenceConfig": {"maxTokens": 9},
        },
    }
    assert len(get_json(f"{emulator.url}/_emulator/requests?limit=10")) == 2


def test_rejected_requests_are_logged_too(raw_runtime, emulator):
    try:
        raw_runtime.converse(modelId="acme.none", messages=[])
    except raw_runtime.exceptions.ValidationException:
        pass
    (entry,) = get_json(f"{emulator.url}/_emulator/requests?limit=5")
    assert entry["modelId"] == "acme.none"


def test_reset_clears_counters_log_and_transient_faults(runtime, emulator):
    try:
        ask(runtime, "@@fault ThrottlingException times=1 id=r")
    except runtime.exceptions.ThrottlingException:
        pass
    assert post_json(f"{emulator.url}/_emulator/reset") == {"reset": True}
    assert get_json(f"{emulator.url}/_emulator/stats")["calls"]["Converse"] == 0
    assert get_json(f"{emulator.url}/_emulator/requests") == []
    try:
        ask(runtime, "@@fault ThrottlingException times=1 id=r")
        raise AssertionError("fault state survived reset")
    except runtime.exceptions.ThrottlingException:
        pass
