"""quillpen's model layer: getting models, running them, and the one interface the UI knows.

Nothing here imports Textual or ``tui``; every module is usable from a script. A contract on
top, four wings below it (import-linter keeps them apart: see ``pyproject.toml``).

**The contract** (this folder) — :mod:`models.engine_client` (requests, events,
``Capabilities``: what the UI talks to), :mod:`models.token_probs` (per-token probabilities in
events), :mod:`models.stats`, :mod:`models.sampling`, :mod:`models.errors`, and what every wing
shares: :mod:`models.text` (terminal-safe text), :mod:`models.locations` (folders),
:mod:`models.progress`, :mod:`models.llama_logs` (llama.cpp's log lines),
:mod:`models.native_crash` (naming a child's fatal signal).

**local/** — llama.cpp in a child process: :mod:`models.local.client` (the engine the UI
holds), :mod:`models.local.process` (the child), :mod:`models.local.engine` (stream, generate,
score) above :mod:`models.local.batch` and :mod:`models.local.scoring`, all three above
:mod:`models.local.llama_model` (the loaded model: load, tokenize, fit the prompt, the lock);
sampling, the AMX probe, GPU offload, the GGUF header check.

**remote/** — an OpenAI-compatible server behind the same contract:
:mod:`models.remote.engine` and the HTTP, profile, request, stream and error modules it uses.

**hub/** — getting models: :mod:`models.hub.catalog` (known models, pins),
:mod:`models.hub.download` (Hub downloads, verification), :mod:`models.hub.convert`
(checkpoint → GGUF, no torch), :mod:`models.hub.quantize`, :mod:`models.hub.child_job`
(convert/quantize in a child), :mod:`models.hub.cache` (the local model cache).

**prompting/** — text in, prompt out, no engine: :mod:`models.prompting.prompts` (specs in,
tokens and facts out), :mod:`models.prompting.context` (fitting the window), chat transcripts
and templates, :mod:`models.prompting.cjk` (Chinese output).
"""
