"""Building blocks of a Converse call, shared by every client dialect.

Chat Completions, Responses and Messages each turn their own request shape into Converse
blocks with these pieces, and ``call.assemble`` applies the rules Bedrock enforces whatever
the dialect (alternating turns, paired tool ids, signed thinking, cache points):

- ``blocks``: content blocks (text, images, tool use/results, signed reasoning) and the
  names and ids Bedrock accepts.
- ``turns``: alternating turns, prefills, and what a conversation's history holds.
- ``tool_pairs``: past tool calls and results made into pairs Bedrock accepts.
- ``tools``: tool specs and tool choice (``ToolPlan``).
- ``structured``: JSON-object and JSON-schema answers, asked for and checked.
- ``thinking``: reasoning effort → Anthropic thinking budgets.
- ``inference``: inferenceConfig (max tokens, sampling, stop sequences).
- ``caching``: cache points for the models that take them.
- ``call``: ``ConverseCall`` and ``assemble``.
- ``events``: a Converse answer as the stream events that would have carried it.
"""
