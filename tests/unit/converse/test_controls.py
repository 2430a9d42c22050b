"""Guardrail, service tier and latency: the Converse field, or a 400 naming what is wrong."""

import pytest

from app.converse.controls import (
    Deployment,
    answered_tier,
    guardrail_config,
    performance_config,
    service_tier,
)
from app.errors import InvalidRequestError
from tests.unit.converse.models import HAIKU_3, NOVA

DEPLOYED = Deployment(
    guardrail_id="gr1", guardrail_version="3", guardrail_trace="enabled", guardrail_stream_mode="async"
)
ASKED = {"guardrailIdentifier": "abc", "guardrailVersion": "DRAFT"}


class TestGuardrail:
    def test_the_deployments_guardrail_applies_with_its_stream_mode_when_streaming(self):
        assert guardrail_config(None, DEPLOYED, stream=True, param="g") == {
            "guardrailIdentifier": "gr1",
            "guardrailVersion": "3",
            "trace": "enabled",
            "streamProcessingMode": "async",
        }
        assert "streamProcessingMode" not in guardrail_config(None, DEPLOYED, stream=False, param="g")

    def test_a_request_guardrail_gets_trace_disabled_by_default(self):
        assert guardrail_config(ASKED, Deployment(), stream=False, param="g") == {
            **ASKED,
            "trace": "disabled",
        }

    def test_a_request_cannot_replace_the_deployments_guardrail(self):
        with pytest.raises(InvalidRequestError) as caught:
            guardrail_config(ASKED, DEPLOYED, stream=False, param="guardrailConfig")
        assert caught.value.param == "guardrailConfig"

    @pytest.mark.parametrize(
        ("asked", "param"),
        [
            ({"guardrailIdentifier": "Bad Id", "guardrailVersion": "1"}, "g.guardrailIdentifier"),
            ({"guardrailIdentifier": "abc", "guardrailVersion": "01"}, "g.guardrailVersion"),
            ({**ASKED, "trace": "on"}, "g.trace"),
            ({**ASKED, "streamProcessingMode": "later"}, "g.streamProcessingMode"),
            ({**ASKED, "other": 1}, "g"),
            ("gr1", "g"),
        ],
    )
    def test_bad_request_guardrails_name_the_field(self, asked, param):
        with pytest.raises(InvalidRequestError) as caught:
            guardrail_config(asked, Deployment(), stream=True, param="g")
        assert caught.value.param == param


class TestServiceTier:
    @pytest.mark.parametrize(
        ("asked", "sent"), [(None, None), ("auto", None), ("scale", None), ("default", {"type": "default"})]
    )
    def test_every_model_takes_auto_and_default(self, asked, sent):
        assert service_tier(asked, HAIKU_3, "service_tier") == sent

    def test_flex_goes_to_families_that_offer_it(self):
        assert service_tier("flex", NOVA, "service_tier") == {"type": "flex"}
        with pytest.raises(InvalidRequestError, match="does not offer the flex service tier"):
            service_tier("flex", HAIKU_3, "service_tier")

    @pytest.mark.parametrize(
        ("reported", "tier"), [({"type": "flex"}, "flex"), ({"type": "reserved"}, "scale"), (None, None)]
    )
    def test_the_reported_tier_in_openais_words(self, reported, tier):
        assert answered_tier(reported) == tier


class TestLatency:
    def test_the_setting_applies_only_where_the_model_has_it(self):
        optimized = Deployment(latency="optimized")
        assert performance_config(None, optimized, NOVA, "p") == {"latency": "optimized"}
        assert performance_config(None, optimized, HAIKU_3, "p") is None

    def test_a_request_for_it_on_a_model_without_it_is_refused(self):
        with pytest.raises(InvalidRequestError) as caught:
            performance_config({"latency": "optimized"}, Deployment(), HAIKU_3, "performanceConfig")
        assert caught.value.param == "performanceConfig.latency"
