"""The key registry: parsing, every problem reported at once, constant-time identification."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.auth import load_keys
from app.keys import ApiKey, KeyRegistry, digest_of, parse_registry
from app.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
SHA = hashlib.sha256(b"sk-hashed").hexdigest()


def test_a_full_entry_parses_into_a_named_key_with_limits():
    document = {
        "keys": [
            {
                "name": "team-a",
                "key_sha256": SHA,
                "models": ["anthropic.claude-*", "cohere.embed-*"],
                "rpm": 60,
                "tpm": 200000,
                "max_parallel": 8,
                "tokens_per_day": 5000000,
                "expires": "2027-01-01T00:00:00Z",
                "disabled": False,
                "metadata": {"cost_center": "1234"},
            }
        ]
    }
    keys, problems = parse_registry(document, "API_KEYS_JSON")
    assert problems == []
    assert keys == [
        ApiKey(
            name="team-a",
            digest=digest_of("sk-hashed"),
            models=("anthropic.claude-*", "cohere.embed-*"),
            rpm=60,
            tpm=200000,
            max_parallel=8,
            tokens_per_day=5000000,
            expires=datetime(2027, 1, 1, tzinfo=UTC),
            metadata={"cost_center": "1234"},
        )
    ]


def test_only_a_name_and_a_key_are_required():
    keys, problems = parse_registry({"keys": [{"name": "bare", "key": "sk-bare"}]}, "API_KEYS_JSON")
    assert (problems, keys[0].has_limits, keys[0].models) == ([], False, None)


def test_every_problem_is_listed_by_name_or_index_without_echoing_a_key():
    document = {
        "keys": [
            {"name": "team-a", "key": "sk-secret-1", "key_sha256": SHA},
            {"key": "sk-secret-2", "rpm": 0},
            {"name": "team-c", "key_sha256": "sk-secret-3", "tpm": "lots", "models": "claude"},
            {"name": "team-d", "key": "sk-secret-4", "expires": "soon", "disabled": "no", "tmp": 5},
            "sk-secret-5",
        ]
    }
    _, problems = parse_registry(document, "API_KEYS_FILE")
    assert problems == [
        "API_KEYS_FILE: key 'team-a': needs exactly one of key and key_sha256",
        "API_KEYS_FILE: keys[1]: name must be a non-empty string",
        "API_KEYS_FILE: keys[1]: rpm must be a positive integer",
        "API_KEYS_FILE: key 'team-c': key_sha256 must be 64 hexadecimal characters (the key's SHA-256)",
        "API_KEYS_FILE: key 'team-c': models must be a list of non-empty strings",
        "API_KEYS_FILE: key 'team-c': tpm must be a positive integer",
        "API_KEYS_FILE: key 'team-d': unknown field 'tmp'",
        "API_KEYS_FILE: key 'team-d': expires must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z",
        "API_KEYS_FILE: key 'team-d': disabled must be true or false",
        "API_KEYS_FILE: keys[4]: must be an object",
    ]
    assert "sk-secret" not in "\n".join(problems)


def test_a_registry_without_a_keys_list_is_refused():
    keys, problems = parse_registry([{"name": "x"}], "API_KEYS_JSON")
    assert (keys, problems) == ([], ['API_KEYS_JSON: expected {"keys": [...]}'])


def test_legacy_keys_and_registries_combine_and_stop_startup_together(tmp_path):
    registry_file = tmp_path / "keys.json"
    registry_file.write_text(
        '{"keys": [{"name": "key-1", "key": "sk-file"}, {"name": "b", "key": "sk-env"}]}'
    )
    settings = Settings(
        api_keys=("sk-env",),
        api_keys_file=str(registry_file),
        api_keys_json='{"keys": [{"name": "c", "key": "sk-c", "rpm": -1}]}',
    )
    with pytest.raises(ConfigError) as caught:
        load_keys(settings)
    assert caught.value.problems == [
        "API_KEYS_JSON: key 'c': rpm must be a positive integer",
        "key name 'key-1' is used twice",
        "keys 'key-1' and 'b' are the same key",
    ]
    assert "sk-" not in str(caught.value)


def test_legacy_keys_are_numbered_and_registries_add_named_keys(tmp_path):
    registry_file = tmp_path / "keys.json"
    registry_file.write_text('{"keys": [{"name": "team-a", "key": "sk-a", "rpm": 3}]}')
    keys = load_keys(Settings(api_keys=("sk-1", "sk-2"), api_keys_file=str(registry_file)))
    assert [(key.name, key.rpm) for key in keys] == [("key-1", None), ("key-2", None), ("team-a", 3)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "API_KEYS_JSON: not valid JSON (line 1, column 2)"),
        ("[]", 'API_KEYS_JSON: expected {"keys": [...]}'),
    ],
)
def test_a_malformed_inline_registry_is_named(text, problem):
    with pytest.raises(ConfigError) as caught:
        load_keys(Settings(api_keys_json=text))
    assert caught.value.problems == [problem]


def test_an_unreadable_registry_file_stops_startup(tmp_path):
    with pytest.raises(ConfigError, match="API_KEYS_FILE: cannot read"):
        load_keys(Settings(api_keys_file=str(tmp_path / "missing.json")))


def test_identify_finds_the_key_by_its_digest():
    keys = (ApiKey("a", digest_of("sk-a")), ApiKey("b", digest_of("sk-b")))
    registry = KeyRegistry(lambda: keys)
    assert (registry.identify("sk-b").name, registry.identify("sk-c")) == ("b", None)


def test_a_failed_reload_keeps_the_current_keys():
    now = [0.0]
    loads = [(ApiKey("a", digest_of("sk-a")),)]

    def loader():
        if not loads:
            raise ConfigError(["API_KEYS_FILE: cannot read 'keys.json'"])
        return loads.pop()

    registry = KeyRegistry(loader, refresh_seconds=5, clock=lambda: now[0])
    now[0] = 10.0
    assert registry.identify("sk-a").name == "a"


@pytest.mark.parametrize(
    ("key", "active"),
    [
        (ApiKey("live", b""), True),
        (ApiKey("off", b"", disabled=True), False),
        (ApiKey("old", b"", expires=datetime(2020, 1, 1, tzinfo=UTC)), False),
        (ApiKey("later", b"", expires=datetime(2999, 1, 1, tzinfo=UTC)), True),
    ],
)
def test_disabled_and_expired_keys_are_inactive(key, active):
    assert key.is_active(datetime(2026, 11, 30, tzinfo=UTC)) is active


def readme_block(after: str, language: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"```{language}\n", text.index(after)) + len(language) + 4
    return text[start : text.index("```", start)]


def test_the_readmes_three_team_registry_loads_as_described(tmp_path):
    registry = tmp_path / "teams.json"
    registry.write_text(readme_block("`teams.json`:", "json"))
    keys = {key.name: key for key in load_keys(Settings(api_keys_file=str(registry)))}
    assert list(keys) == ["search", "support-bot", "data-science"]
    assert KeyRegistry(lambda: tuple(keys.values())).identify("sk-search-team-0001").name == "search"
    assert (keys["search"].rpm, keys["search"].max_parallel, keys["support-bot"].tokens_per_day) == (
        600,
        8,
        2000000,
    )
    assert (keys["data-science"].models, keys["data-science"].has_limits) == (None, False)
