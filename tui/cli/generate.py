"""`quillpen generate` and `quillpen score`: continue a text, or score one, from a script."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import QuillpenError
from models.hub import catalog
from tui.cli.common import _err, _remote, _repack_setting

if TYPE_CHECKING:
    from models.local.engine import Engine
    from models.sampling import SamplerSettings
    from tui.config import RemoteTarget


def _load_engine(args: argparse.Namespace) -> Engine:
    """The model ``--model`` names, loaded for ``generate`` or ``score``."""
    from models.hub import cache as store
    from models.local.cpu_probe import decide
    from models.local.engine import Engine

    path = store.resolve(args.model)
    repack = decide(_repack_setting(args))
    engine = Engine.load(
        path, gpu_layers=args.gpu_layers, threads=args.threads, extra_bufts=repack.extra_bufts
    )
    if repack.news:
        _err(repack.reason)
    for notice in engine.notices:
        _err(notice)
    return engine


def cmd_generate(args: argparse.Namespace) -> int:
    from models.hub import cache as store
    from models.sampling import SamplerSettings
    from models.text import printable

    try:
        prompt = args.prompt if args.prompt is not None else sys.stdin.read()
        prompt.encode("utf-8")  # undecodable bytes arrive as surrogates (argv, C locale)
    except UnicodeError:
        raise QuillpenError("the prompt is not UTF-8 text") from None
    settings = SamplerSettings().with_(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        min_p=args.min_p,
        repeat_penalty=args.repeat_penalty,
        seed=args.seed,
    )
    target = _remote(args)
    if target is not None:
        return _generate_remote(args, target, prompt, settings)
    if args.max_tokens == 0:
        store.resolve(args.model)  # nothing to write (the model is still checked to exist)
        return _nothing_written(args)
    engine = _load_engine(args)
    tokens = engine.tokenize(prompt)
    if len(tokens) > engine.n_ctx_train:
        _err(
            f"the prompt is longer than the model's {engine.n_ctx_train}-token window: "
            "using its end"
        )
    out = sys.stdout
    if args.n == 1 and not args.ban and not args.json:  # the plain stream, as always
        for piece in engine.stream(tokens, settings, max_tokens=args.max_tokens, stop=args.stop):
            out.write(printable(piece))
            out.flush()
        out.write("\n")
        engine.close()
        return 0
    texts: list[list[str]] = [[] for _ in range(args.n)]
    found: list[list[dict[str, object]]] = [[] for _ in range(args.n)]
    for part in engine.generate(
        tokens,
        settings,
        n=args.n,
        max_tokens=args.max_tokens,
        stop=args.stop,
        bans=args.ban,
        probabilities=1 if args.json else 0,
    ):
        if args.n == 1 and not args.json:
            out.write(printable(part.text))
            out.flush()
        texts[part.seq].append(part.text)
        found[part.seq] += [t.as_json(top=False) for t in part.tokens]
    _print_results(args, texts, found, engine.last_stats.seconds)
    engine.close()
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            text = sys.stdin.read()
            text.encode("utf-8")
        else:
            text = Path(args.file).read_text(encoding="utf-8")
    except UnicodeError:
        raise QuillpenError(f"{args.file}: not UTF-8 text") from None
    except OSError as exc:
        raise QuillpenError(f"{args.file}: {exc.strerror or exc}") from None
    engine = _load_engine(args)
    out = sys.stdout
    for i, token in enumerate(engine.score(text, args.top)):
        out.write(json.dumps(token.as_json(i), ensure_ascii=False) + "\n")
    engine.close()
    return 0


def _generate_remote(
    args: argparse.Namespace, target: RemoteTarget, prompt: str, settings: SamplerSettings
) -> int:
    """``generate --engine``: the same continuation from a remote server, streamed."""
    import queue

    from models.engine_client import Chunk, Finished, GenerateRequest, ModelFailed, ModelLoaded
    from models.prompting.prompts import TextSpec
    from models.text import printable
    from tui.engine_choice import open_engine

    if args.ban:
        raise QuillpenError("--ban needs the local engine: a server cannot roll text back")
    events: queue.Queue[object] = queue.Queue()
    engine = open_engine(
        target, events.put, cpu_repack="auto", on_retry=lambda retry: _err(retry.message)
    )
    try:
        engine.load(
            args.model if args.model != catalog.DEFAULT_MODEL else "", gpu_layers=None, threads=None
        )
        while not isinstance(event := events.get(timeout=120), ModelLoaded):
            if isinstance(event, ModelFailed):
                raise QuillpenError(event.error)
        if args.max_tokens == 0:
            return _nothing_written(args)
        request = GenerateRequest(
            TextSpec(prompt),
            settings,
            args.max_tokens,
            tuple(args.stop),
            n=args.n,
            probabilities=1 if args.json else 0,
        )
        engine.submit(request, events.put)
        texts: list[list[str]] = [[] for _ in range(args.n)]
        found: list[list[dict[str, object]]] = [[] for _ in range(args.n)]
        while not isinstance(event := events.get(timeout=600), Finished):
            if isinstance(event, Chunk):
                texts[event.seq].append(event.text)
                found[event.seq] += [t.as_json(top=False) for t in event.token_info]
                if args.n == 1 and not args.json:
                    sys.stdout.write(printable(event.text))
                    sys.stdout.flush()
        _print_results(args, texts, found, event.stats.seconds)
        if event.notice:
            _err(event.notice)
        if event.error:
            raise QuillpenError(event.error)
        return 0
    finally:
        engine.close()


def _nothing_written(args: argparse.Namespace) -> int:
    """``--max-tokens 0``: no text at all; with ``--json``, the object with empty texts."""
    if args.json:
        print(json.dumps({"texts": [""] * args.n, "tokens": [[]] * args.n, "seconds": 0.0}))
    return 0


def _print_results(
    args: argparse.Namespace,
    texts: list[list[str]],
    found: list[list[dict[str, object]]],
    seconds: float,
) -> None:
    """After the stream: the JSON object, or one block per continuation (-n), or a newline."""
    from models.text import printable

    out = sys.stdout
    if args.json:
        result = {"texts": ["".join(t) for t in texts], "tokens": found, "seconds": seconds}
        json.dump(result, out, ensure_ascii=False)
    elif args.n > 1:  # one block each, after they are all written
        blocks = (f"── {i} ──\n{printable(''.join(t))}" for i, t in enumerate(texts, 1))
        out.write("\n\n".join(blocks))
    out.write("\n")
