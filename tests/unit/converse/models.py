"""Models of the families the converse tests exercise, by foundation id."""

from app.catalogue import ModelInfo


def model(foundation_id: str) -> ModelInfo:
    return ModelInfo(id=foundation_id, foundation_id=foundation_id)


HAIKU_3 = model("anthropic.claude-3-haiku-20240307-v1:0")
SONNET_37 = model("anthropic.claude-3-7-sonnet-20250219-v1:0")
SONNET_45 = model("anthropic.claude-sonnet-4-5-20250929-v1:0")
OPUS_46 = model("anthropic.claude-opus-4-6-v1")
NOVA = model("amazon.nova-pro-v1:0")
NOVA_2 = model("amazon.nova-2-lite-v1:0")
GPT_OSS = model("openai.gpt-oss-120b-1:0")
LLAMA = model("meta.llama3-8b-instruct-v1:0")
