"""quillpen's model layer: getting models, running them, and the one interface the UI knows.

Nothing here imports Textual or ``tui``; every module is usable from a script. Where to look:

**The engine interface** — :mod:`models.engine_client` (requests, events, ``Capabilities``),
implemented by :mod:`models.local_engine` (llama.cpp in a child process:
:mod:`models.engine_process`, pipe framing :mod:`models.frames`) and
:mod:`models.remote_engine` (an OpenAI-compatible server: ``remote_http``, ``remote_connect``,
``remote_loader``, ``remote_profiles``, ``remote_requests``, ``remote_tokens``, ``remote_stream``,
``remote_events``, ``remote_errors``, ``remote_loop``).

**Running a model** — :mod:`models.engine` (load, tokenize, stream, score; n_ctx never above
the trained context), :mod:`models.batch` (several continuations in one batch, banned phrases
with rollback: :mod:`models.bans`), :mod:`models.token_sampler`, :mod:`models.token_probs` and
:mod:`models.scoring` (probabilities, the surprise view), :mod:`models.piece_stream` (chunks
on the wire), :mod:`models.llama_params` / :mod:`models.llama_logs` (llama.cpp's parameters and
log lines), :mod:`models.gpu` (offload), :mod:`models.cpu_probe` (+ ``cpu_probe_run``: the AMX
safe-mode decision), :mod:`models.stats`, :mod:`models.sampling`.

**Prompts** — :mod:`models.prompts` (specs in, tokens and facts out), :mod:`models.context`
(story + memory + author's note fitted to the window), :mod:`models.chat_prompt`,
:mod:`models.transcript` and :mod:`models.chat_template` (chat with a base model),
:mod:`models.cjk` (Chinese output), :mod:`models.text` (terminal-safe text).

**Getting models** — :mod:`models.catalog` (known models, pins), :mod:`models.hub` (downloads,
verification), :mod:`models.convert` (checkpoint → GGUF; :mod:`models.torch_pickle` reads
``pytorch_model.bin`` without torch, :mod:`models.wordpiece` Chinese vocabularies),
:mod:`models.quantize`, :mod:`models.child_job` (convert/quantize in a child that Cancel ends),
:mod:`models.gguf_info` (header check), :mod:`models.store` (the local cache),
:mod:`models.locations` (folders), :mod:`models.progress`, :mod:`models.errors`.
"""
