"""The catalogue lists what OpenAI clients can chat with and resolves any id to its model."""

import threading
import time

import pytest

from app.catalogue import APPLICATION_PROFILE, SYSTEM_PROFILE, Catalogue, build_models, created_from_id
from app.errors import ModelNotFoundError, UpstreamError
from app.settings import Settings

FM_ARN = "arn:aws:bedrock:us-east-1::foundation-model/"


def summary(
    model_id, *, inputs=("TEXT",), outputs=("TEXT",), streaming=True, types=("ON_DEMAND",), status="ACTIVE"
):
    return {
        "modelId": model_id,
        "modelArn": FM_ARN + model_id,
        "providerName": model_id.split(".")[0].title(),
        "inputModalities": list(inputs),
        "outputModalities": list(outputs),
        "responseStreamingSupported": streaming,
        "inferenceTypesSupported": list(types),
        "modelLifecycle": {"status": status},
    }


def profile(profile_id, model_id, *, kind="SYSTEM_DEFINED", arn=None):
    return {
        "inferenceProfileId": profile_id,
        "inferenceProfileArn": arn
        or f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile_id}",
        "models": [{"modelArn": FM_ARN + model_id}],
        "status": "ACTIVE",
        "type": kind,
    }


SUMMARIES = [
    summary(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        inputs=("TEXT", "IMAGE"),
        types=("ON_DEMAND", "INFERENCE_PROFILE"),
    ),
    summary(
        "anthropic.claude-3-7-sonnet-20250219-v1:0", inputs=("TEXT", "IMAGE"), types=("INFERENCE_PROFILE",)
    ),
    summary("anthropic.claude-v2:1", status="LEGACY"),
    summary("anthropic.claude-instant-v1", status="EOL"),
    summary("ai21.j2-ultra-v1", streaming=False),
    summary("cohere.embed-english-v3", outputs=("EMBEDDING",), streaming=False),
    summary("stability.sd3-5-large-v1:0", outputs=("IMAGE",), streaming=False),
]
APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01"
PROFILES = [
    profile("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
    profile("teamclaude01", "anthropic.claude-3-5-sonnet-20240620-v1:0", kind="APPLICATION", arn=APP_ARN),
    profile("us.cohere.embed-english-v3", "cohere.embed-english-v3"),
]


class TestBuildModels:
    def test_lists_streaming_text_models_that_are_active_or_legacy_and_on_demand_then_profiles(self):
        _, listed = build_models(SUMMARIES, PROFILES, now=1000)
        assert listed == [
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-v2:1",
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            APP_ARN,
        ]

    def test_profiles_take_the_capabilities_of_their_foundation_model(self):
        index, _ = build_models(SUMMARIES, PROFILES, now=1000)
        system = index["us.anthropic.claude-3-7-sonnet-20250219-v1:0"]
        application = index[APP_ARN]
        assert (system.kind, system.foundation_id, system.supports_images) == (
            SYSTEM_PROFILE,
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            True,
        )
        assert system.family.reasoning == "anthropic"
        assert (application.kind, application.foundation_id) == (
            APPLICATION_PROFILE,
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
        )

    def test_unlisted_models_still_resolve(self):
        index, _ = build_models(SUMMARIES, PROFILES, now=1000)
        assert index["cohere.embed-english-v3"].is_embedding
        assert index["us.cohere.embed-english-v3"].family.embedding == "cohere-v3"
        assert index["ai21.j2-ultra-v1"].streaming is False
        assert index[FM_ARN + "anthropic.claude-v2:1"].id == "anthropic.claude-v2:1"


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [("anthropic.claude-3-5-sonnet-20240620-v1:0", 1718841600), ("amazon.nova-pro-v1:0", 42)],
)
def test_created_is_the_release_date_in_the_id_or_the_load_time(model_id, expected):
    assert created_from_id(model_id, 42) == expected


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


class CountingLister:
    """Stands in for Bedrock's two list calls (the catalogue takes any callable)."""

    def __init__(self, fail=False):
        self.calls = 0
        self.fail = fail

    def __call__(self):
        self.calls += 1
        if self.fail:
            raise UpstreamError("Amazon Bedrock could not be reached.")
        return SUMMARIES, PROFILES


@pytest.fixture
def settings():
    return Settings(
        api_keys=("k",),
        model_cache_ttl=3600,
        model_refresh_interval=60,
        model_aliases={"team": APP_ARN},
    )


class TestCatalogue:
    def test_a_burst_of_list_calls_lists_bedrock_once(self, settings):
        lister, clock = CountingLister(), FakeClock()
        catalogue = Catalogue(settings, lister, clock)
        for _ in range(50):
            catalogue.list_models()
        assert lister.calls == 1

    def test_list_refreshes_after_the_refresh_interval_and_resolve_after_the_ttl(self, settings):
        lister, clock = CountingLister(), FakeClock()
        catalogue = Catalogue(settings, lister, clock)
        catalogue.list_models()
        clock.now += 61
        catalogue.resolve("anthropic.claude-v2:1")
        assert lister.calls == 1
        catalogue.list_models()
        assert lister.calls == 2
        clock.now += 3601
        catalogue.resolve("anthropic.claude-v2:1")
        assert lister.calls == 3

    @pytest.mark.parametrize(
        ("requested", "purpose", "resolved"),
        [
            ("gpt-4o", "chat", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
            ("gpt-3.5-turbo", "chat", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
            ("text-embedding-3-small", "embedding", "cohere.embed-multilingual-v3"),
            ("team", "chat", APP_ARN),
        ],
    )
    def test_aliases(self, settings, requested, purpose, resolved):
        catalogue = Catalogue(settings, CountingLister(), FakeClock())
        assert catalogue.alias_target(requested, purpose) == resolved

    def test_unknown_model_is_model_not_found(self, settings):
        catalogue = Catalogue(settings, CountingLister(), FakeClock())
        with pytest.raises(ModelNotFoundError) as caught:
            catalogue.resolve("no.such-model-v1:0")
        assert caught.value.to_body()["error"]["code"] == "model_not_found"

    def test_last_good_catalogue_is_kept_when_bedrock_fails(self, settings):
        lister, clock = CountingLister(), FakeClock()
        catalogue = Catalogue(settings, lister, clock)
        before = [m.id for m in catalogue.list_models()]
        lister.fail = True
        clock.now += 7200
        assert [m.id for m in catalogue.list_models()] == before
        assert (
            catalogue.resolve("us.anthropic.claude-3-7-sonnet-20250219-v1:0").family.reasoning == "anthropic"
        )

    def test_configured_defaults_stand_in_when_bedrock_was_never_listed(self, settings):
        catalogue = Catalogue(settings, CountingLister(fail=True), FakeClock())
        assert [m.id for m in catalogue.list_models()] == [
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            APP_ARN,
        ]
        assert catalogue.resolve("gpt-4").id == "anthropic.claude-3-5-sonnet-20240620-v1:0"
        assert catalogue.resolve("text-embedding-3-small", purpose="embedding").is_embedding

    def test_requests_during_the_first_load_wait_for_it_instead_of_404(self, settings):
        started = threading.Event()

        def slow_lister():
            started.set()
            time.sleep(0.2)
            return SUMMARIES, PROFILES

        catalogue = Catalogue(settings, slow_lister)
        loader = threading.Thread(target=catalogue.list_models)
        loader.start()
        started.wait()
        model = catalogue.resolve("us.anthropic.claude-3-7-sonnet-20250219-v1:0")
        loader.join()
        assert model.foundation_id == "anthropic.claude-3-7-sonnet-20250219-v1:0"

    def test_without_any_listing_an_unknown_id_is_left_to_bedrock(self, settings):
        catalogue = Catalogue(settings, CountingLister(fail=True), FakeClock())
        model = catalogue.resolve("us.anthropic.claude-sonnet-4-20250514-v1:0")
        assert (model.id, model.foundation_id, model.family.reasoning) == (
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic",
        )
        assert (
            catalogue.resolve("amazon.titan-embed-text-v2:0", purpose="embedding").family.embedding
            == "titan-v2"
        )
