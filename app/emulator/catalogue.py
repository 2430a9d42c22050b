"""Foundation models and inference profiles the emulator serves, as data."""

from dataclasses import dataclass

REGION = "us-east-1"
ACCOUNT = "123456789012"
PROFILE_CREATED = "2024-08-27T00:00:00Z"

ON_DEMAND = ("ON_DEMAND",)
PROFILE_ONLY = ("INFERENCE_PROFILE",)
BOTH = ("ON_DEMAND", "INFERENCE_PROFILE")
CLAUDE_BASE = frozenset({"tools", "system", "documents"})
CLAUDE_CACHE = CLAUDE_BASE | {"caching"}
CLAUDE_THINK = CLAUDE_CACHE | {"thinking"}
TIERS = frozenset({"flex", "priority"})
NOVA = frozenset({"tools", "system", "caching", "nova_fields"}) | TIERS


@dataclass(frozen=True)
class Model:
    """One foundation model: its ListFoundationModels data plus emulator capabilities."""

    model_id: str
    name: str
    provider: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    streaming: bool
    inference_types: tuple[str, ...]
    capabilities: frozenset = frozenset()
    lifecycle: str = "ACTIVE"
    max_output: int = 8192
    betas: frozenset = frozenset()

    @property
    def arn(self) -> str:
        return foundation_arn(self.model_id)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True)
class Profile:
    """One inference profile (system-defined or application) routing to one model."""

    profile_id: str
    name: str
    kind: str
    model_id: str
    regions: tuple[str, ...]
    arn: str


def foundation_arn(model_id: str, region: str = REGION) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


TEXT = ("TEXT",)
VISION = ("TEXT", "IMAGE")
MULTIMODAL = ("TEXT", "IMAGE", "VIDEO")
ALL_MEDIA = ("TEXT", "IMAGE", "AUDIO", "VIDEO")
SYSTEM_ONLY = frozenset({"system"})
TOOLS_SYSTEM = frozenset({"tools", "system"})

# "count_tokens": CountTokens answers for it; "cache_ttl": cache_control takes a ttl;
# "adaptive_thinking": thinking {"type": "adaptive"}; "effort": output_config.effort.
COUNTING = CLAUDE_BASE | {"count_tokens"}
CLAUDE_CACHE_COUNT = CLAUDE_CACHE | {"count_tokens"}
CLAUDE_THINK_COUNT = CLAUDE_THINK | {"count_tokens"}
SONNET_45 = CLAUDE_THINK_COUNT | {"exclusive_sampling", "cache_ttl", "structured_output"}
OPUS_46 = SONNET_45 | {"adaptive_thinking", "effort"}
HAIKU_35 = CLAUDE_CACHE | {"latency"}
NOVA_DOCS = NOVA | {"documents"}
NOVA_2 = NOVA_DOCS | {"nova_reasoning"}
GPT_OSS = frozenset({"tools", "system", "structured_output", "gpt_oss_fields"}) | TIERS
DEEPSEEK = frozenset({"system", "always_reasoning", "strict_extra_fields"})

# The anthropic_beta values Bedrock's InvokeModel takes for each Claude generation
# (Bedrock user guide, "Anthropic Claude Messages API", beta headers table); any other
# value is refused with "invalid beta flag".
CLAUDE_4_BETAS = frozenset(
    {
        "interleaved-thinking-2025-05-14",
        "dev-full-thinking-2025-05-14",
        "fine-grained-tool-streaming-2025-05-14",
        "token-efficient-tools-2025-02-19",
        "computer-use-2025-01-24",
    }
)
BETAS = {
    "claude-3-5-sonnet-20241022-v2:0": frozenset({"computer-use-2024-10-22"}),
    "claude-3-7-sonnet-20250219-v1:0": frozenset(
        {"computer-use-2025-01-24", "token-efficient-tools-2025-02-19", "output-128k-2025-02-19"}
    ),
    "claude-sonnet-4-20250514-v1:0": CLAUDE_4_BETAS | {"context-1m-2025-08-07"},
    "claude-sonnet-4-5-20250929-v1:0": CLAUDE_4_BETAS
    | {"context-1m-2025-08-07", "context-management-2025-06-27", "tool-search-tool-2025-10-19"},
    "claude-haiku-4-5-20251001-v1:0": CLAUDE_4_BETAS | {"context-management-2025-06-27"},
    "claude-opus-4-6-v1": CLAUDE_4_BETAS
    | {
        "context-1m-2025-08-07",
        "context-management-2025-06-27",
        "tool-search-tool-2025-10-19",
        "tool-examples-2025-10-29",
        "effort-2025-11-24",
        "computer-use-2025-11-24",
    },
}


def _claude(suffix, name, types, caps, max_output=8192, inputs=VISION, lifecycle="ACTIVE") -> Model:
    model_id = f"anthropic.{suffix}"
    betas = BETAS.get(suffix, frozenset())
    return Model(model_id, name, "Anthropic", inputs, TEXT, True, types, caps, lifecycle, max_output, betas)


def _chat(model_id, name, provider, types, caps, max_output=8192, inputs=TEXT, streaming=True) -> Model:
    return Model(model_id, name, provider, inputs, TEXT, streaming, types, caps, max_output=max_output)


def _embed(model_id, name, provider, types=ON_DEMAND, inputs=TEXT, outputs=("EMBEDDING",)) -> Model:
    return Model(model_id, name, provider, inputs, outputs, False, types)


MODELS: tuple[Model, ...] = (
    _claude("claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", BOTH, COUNTING),
    _claude("claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", PROFILE_ONLY, CLAUDE_CACHE_COUNT),
    # The one Claude whose CountTokens answers "doesn't support counting tokens".
    _claude("claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", BOTH, CLAUDE_BASE, 4096),
    _claude("claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", PROFILE_ONLY, CLAUDE_THINK_COUNT, 64000),
    _claude("claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", PROFILE_ONLY, CLAUDE_THINK_COUNT, 64000),
    _claude("claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", PROFILE_ONLY, SONNET_45, 64000),
    _claude("claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", PROFILE_ONLY, SONNET_45, 64000),
    _claude("claude-opus-4-6-v1", "Claude Opus 4.6", PROFILE_ONLY, OPUS_46, 128000),
    _claude("claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", BOTH, HAIKU_35, 8192, TEXT),
    _claude("claude-v2:1", "Claude", ON_DEMAND, SYSTEM_ONLY, 4096, TEXT, "LEGACY"),
    _chat("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", BOTH, NOVA_DOCS | {"latency"}, 10000, MULTIMODAL),
    _chat("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", BOTH, NOVA_DOCS, 10000, MULTIMODAL),
    _chat("amazon.nova-2-lite-v1:0", "Nova 2 Lite", "Amazon", BOTH, NOVA_2, 65535, MULTIMODAL),
    _chat("openai.gpt-oss-120b-1:0", "gpt-oss-120b", "OpenAI", ON_DEMAND, GPT_OSS, 32768),
    _chat("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", BOTH, NOVA, 10000),
    _chat("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", ON_DEMAND, SYSTEM_ONLY, 2048),
    _chat(
        "meta.llama3-1-70b-instruct-v1:0",
        "Llama 3.1 70B Instruct",
        "Meta",
        BOTH,
        TOOLS_SYSTEM | {"latency"},
        2048,
    ),
    _chat("deepseek.r1-v1:0", "DeepSeek-R1", "DeepSeek", PROFILE_ONLY, DEEPSEEK, 32768),
    _chat(
        "mistral.mistral-large-2402-v1:0",
        "Mistral Large (24.02)",
        "Mistral AI",
        ON_DEMAND,
        TOOLS_SYSTEM | {"documents"},
    ),
    _chat("ai21.j2-ultra-v1", "Jurassic-2 Ultra", "AI21 Labs", ON_DEMAND, frozenset(), streaming=False),
    _embed("cohere.embed-english-v3", "Embed English", "Cohere"),
    _embed("cohere.embed-multilingual-v3", "Embed Multilingual", "Cohere"),
    _embed("cohere.embed-v4:0", "Embed v4", "Cohere", BOTH, VISION),
    _embed("amazon.titan-embed-text-v1", "Titan Embeddings G1", "Amazon"),
    _embed("amazon.titan-embed-text-v2:0", "Titan Text Embed V2", "Amazon"),
    _embed("amazon.nova-2-multimodal-embeddings-v1:0", "Nova Multimodal Embed", "Amazon", inputs=ALL_MEDIA),
    _embed("stability.sd3-5-large-v1:0", "SD3.5 Large", "Stability AI", inputs=VISION, outputs=("IMAGE",)),
)

GEOGRAPHIES = {
    "us": ("US", ("us-east-1", "us-east-2", "us-west-2")),
    "eu": ("EU", ("eu-central-1", "eu-west-1", "eu-west-3")),
    "apac": ("APAC", ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2")),
    "global": ("Global", ("us-east-1", "us-east-2", "us-west-2", "eu-west-1")),
}
EXTRA_GEOGRAPHIES = {
    "anthropic.claude-sonnet-4-20250514-v1:0": ("global",),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("global",),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ("global",),
    "anthropic.claude-opus-4-6-v1": ("global", "eu"),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ("eu", "apac"),
    "amazon.nova-pro-v1:0": ("eu", "apac"),
}
APPLICATION_PROFILE = Profile(
    profile_id="teamclaude01",
    name="team-claude",
    kind="APPLICATION",
    model_id="anthropic.claude-3-5-sonnet-20240620-v1:0",
    regions=(REGION,),
    arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/teamclaude01",
)


def _system_profile(geo: str, model: Model) -> Profile:
    label, regions = GEOGRAPHIES[geo]
    profile_id = f"{geo}.{model.model_id}"
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile_id}"
    name = f"{label} {model.provider} {model.name}"
    return Profile(profile_id, name, "SYSTEM_DEFINED", model.model_id, regions, arn)


def _build_profiles() -> tuple[Profile, ...]:
    profiled = [m for m in MODELS if "INFERENCE_PROFILE" in m.inference_types]
    profiles = [_system_profile("us", m) for m in profiled]
    for model in profiled:
        geos = EXTRA_GEOGRAPHIES.get(model.model_id, ())
        profiles.extend(_system_profile(geo, model) for geo in geos)
    return (*profiles, APPLICATION_PROFILE)


PROFILES: tuple[Profile, ...] = _build_profiles()
_MODELS_BY_ID = {m.model_id: m for m in MODELS}
_MODELS_BY_ARN = {m.arn: m for m in MODELS}
_PROFILES_BY_KEY = {k: p for p in PROFILES for k in (p.profile_id, p.arn)}


def foundation_model(identifier: str) -> Model | None:
    """The model named by a bare model id or a foundation-model ARN."""
    return _MODELS_BY_ID.get(identifier) or _MODELS_BY_ARN.get(identifier)


def profile(identifier: str) -> Profile | None:
    """The inference profile named by its id or ARN."""
    return _PROFILES_BY_KEY.get(identifier)


def model_of(p: Profile) -> Model:
    return _MODELS_BY_ID[p.model_id]


def profile_models(p: Profile) -> list[dict]:
    return [{"modelArn": foundation_arn(p.model_id, region)} for region in p.regions]
