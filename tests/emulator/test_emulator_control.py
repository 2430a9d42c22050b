"""Control plane through boto3's `bedrock` client."""

import pytest

HAIKU_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01"


def model_ids(response) -> set[str]:
    return {m["modelId"] for m in response["modelSummaries"]}


def test_list_foundation_models_returns_whole_catalogue_with_summary_fields(control):
    summaries = control.list_foundation_models()["modelSummaries"]
    assert len(summaries) == 27
    haiku = next(m for m in summaries if m["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0")
    assert haiku == {
        "modelArn": HAIKU_ARN,
        "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
        "modelName": "Claude 3 Haiku",
        "providerName": "Anthropic",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": ["ON_DEMAND", "INFERENCE_PROFILE"],
        "modelLifecycle": {"status": "ACTIVE"},
    }


@pytest.mark.parametrize("provider", ["Meta", "meta", "META"])
def test_by_provider_filter_is_case_insensitive(control, provider):
    response = control.list_foundation_models(byProvider=provider)
    assert model_ids(response) == {"meta.llama3-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0"}


def test_by_provider_accepts_multi_word_provider_name(control):
    response = control.list_foundation_models(byProvider="mistral ai")
    assert model_ids(response) == {"mistral.mistral-large-2402-v1:0"}


def test_by_output_modality_embedding_lists_the_six_embedding_models(control):
    response = control.list_foundation_models(byOutputModality="EMBEDDING")
    assert model_ids(response) == {
        "cohere.embed-english-v3",
        "cohere.embed-multilingual-v3",
        "cohere.embed-v4:0",
        "amazon.titan-embed-text-v1",
        "amazon.titan-embed-text-v2:0",
        "amazon.nova-2-multimodal-embeddings-v1:0",
    }


def test_by_inference_type_on_demand_excludes_profile_only_models(control):
    ids = model_ids(control.list_foundation_models(byInferenceType="ON_DEMAND"))
    assert "anthropic.claude-3-haiku-20240307-v1:0" in ids
    assert "anthropic.claude-3-7-sonnet-20250219-v1:0" not in ids
    assert "deepseek.r1-v1:0" not in ids


def test_by_customization_type_matches_nothing(control):
    response = control.list_foundation_models(byCustomizationType="FINE_TUNING")
    assert response["modelSummaries"] == []


def test_invalid_enum_filter_is_validation_exception(control):
    with pytest.raises(control.exceptions.ValidationException, match="enum value set"):
        control.list_foundation_models(byOutputModality="VIDEO")


def test_legacy_and_non_streaming_flags_are_reported(control):
    summaries = {m["modelId"]: m for m in control.list_foundation_models()["modelSummaries"]}
    assert summaries["anthropic.claude-v2:1"]["modelLifecycle"] == {"status": "LEGACY"}
    assert summaries["ai21.j2-ultra-v1"]["responseStreamingSupported"] is False


@pytest.mark.parametrize("identifier", ["anthropic.claude-3-haiku-20240307-v1:0", HAIKU_ARN])
def test_get_foundation_model_accepts_id_or_arn(control, identifier):
    details = control.get_foundation_model(modelIdentifier=identifier)["modelDetails"]
    assert details["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert details["modelArn"] == HAIKU_ARN


def test_get_unknown_foundation_model_is_resource_not_found(control):
    with pytest.raises(control.exceptions.ResourceNotFoundException) as info:
        control.get_foundation_model(modelIdentifier="acme.unknown-v1:0")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def all_profiles(control, **kwargs) -> list[dict]:
    pages = control.get_paginator("list_inference_profiles").paginate(**kwargs)
    return [p for page in pages for p in page["inferenceProfileSummaries"]]


def test_list_inference_profiles_defaults_to_system_defined_pages_of_ten(control):
    first = control.list_inference_profiles()
    assert len(first["inferenceProfileSummaries"]) == 10
    assert first["nextToken"]
    assert {p["type"] for p in first["inferenceProfileSummaries"]} == {"SYSTEM_DEFINED"}


def test_paginator_walks_all_twenty_five_system_profiles(control):
    ids = [p["inferenceProfileId"] for p in all_profiles(control)]
    assert len(ids) == len(set(ids)) == 25
    assert sum(i.startswith("us.") for i in ids) == 16
    assert {i for i in ids if not i.startswith("us.")} == {
        "global.anthropic.claude-sonnet-4-20250514-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "global.anthropic.claude-opus-4-6-v1",
        "eu.anthropic.claude-opus-4-6-v1",
        "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "eu.amazon.nova-pro-v1:0",
        "apac.amazon.nova-pro-v1:0",
    }


def test_max_results_sets_page_size(control):
    pages = control.get_paginator("list_inference_profiles").paginate(PaginationConfig={"PageSize": 7})
    assert [len(p["inferenceProfileSummaries"]) for p in pages] == [7, 7, 7, 4]


def test_type_application_lists_the_team_profile(control):
    profiles = control.list_inference_profiles(typeEquals="APPLICATION")
    assert "nextToken" not in profiles
    (team,) = profiles["inferenceProfileSummaries"]
    assert team["inferenceProfileArn"] == APP_ARN
    assert team["inferenceProfileId"] == "teamclaude01"
    assert team["inferenceProfileName"] == "team-claude"
    assert team["models"] == [
        {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"}
    ]


def test_us_profile_lists_model_arns_in_three_us_regions(control):
    profile = control.get_inference_profile(inferenceProfileIdentifier="us.amazon.nova-pro-v1:0")
    assert profile["inferenceProfileArn"] == (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"
    )
    assert [m["modelArn"].split(":")[3] for m in profile["models"]] == [
        "us-east-1",
        "us-east-2",
        "us-west-2",
    ]
    assert profile["status"] == "ACTIVE"
    assert profile["type"] == "SYSTEM_DEFINED"


def test_get_inference_profile_by_application_arn(control):
    profile = control.get_inference_profile(inferenceProfileIdentifier=APP_ARN)
    assert profile["inferenceProfileId"] == "teamclaude01"


def test_get_unknown_inference_profile_is_resource_not_found(control):
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(inferenceProfileIdentifier="us.acme.nothing-v1:0")


@pytest.mark.parametrize("token", ["garbage", "eyJ0IjogIkFQUExJQ0FUSU9OIiwgIm8iOiAwfQ=="])
def test_invalid_or_foreign_next_token_is_validation_exception(control, token):
    with pytest.raises(control.exceptions.ValidationException, match="pagination token"):
        control.list_inference_profiles(nextToken=token)
