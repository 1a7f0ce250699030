"""``mgd host --port PORT [--baud N] --config DIR/config.toml identify|status|train``: talk to a board
bitstream of ``mgd build`` over a serial port with the host driver (:mod:`rtl.board.host`)."""

from __future__ import annotations

import argparse
import json

from scripts.common import Int, UsageError, add_config_args, config_from_args

NAME = "host"
HELP = "talk to a board built with mgd build over its serial port (identify, status, train)"
ORDER = 46


def _run(args: argparse.Namespace) -> int:
    from golden_model.config import load_toml, to_toml
    from rtl.board.host import HostLink, SerialTransport, train

    config = config_from_args(args, hardware=True)
    try:
        transport = SerialTransport(args.port, args.baud, timeout=args.timeout)
    except Exception as exc:  # serial.SerialException: no such port, permission
        raise UsageError(f"--port {args.port!r} cannot be opened: {exc}") from None
    built = load_toml(args.built_config) if args.built_config else config
    link = HostLink(transport, expect_config=to_toml(built))
    if args.action == "train" and link.identify()["load_beats"]:  # a streamed store: send config's data
        from rtl._validate import not_elaborated
        from rtl.cores import build_core, core_inputs

        core = build_core(built)
        inputs = core_inputs(config)
        words = core.sample_words(inputs.x, inputs.t)
        not_elaborated(core)
        link.load(words)
        print(f"loaded {len(words)} words ({config.task.dataset})", flush=True)
    if args.action == "identify":
        print(json.dumps(link.identify()))
    elif args.action == "status":
        print(json.dumps(link.status()))
    else:
        steps = args.steps if args.steps is not None else config.task.steps
        rows = train(link, config, chunk=args.chunk, max_steps=steps, check=not args.no_check,
                     on_chunk=lambda r: print(f"step {r['step']}: train_acc={r['train_accuracy']:.3f} "
                                              f"test_acc={r['test_accuracy']:.3f} cost={r['cost']:.5f} "
                                              f"cycles={r['cycles']}", flush=True))
        print(f"trained {rows[-1]['step']} steps, train accuracy {rows[-1]['train_accuracy']:.3f}"
              + ("" if args.no_check else ", bit-exact with the golden model"))
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("identify", "status", "train"))
    parser.add_argument("--port", required=True, help="serial port of the board, e.g. /dev/ttyUSB1")
    parser.add_argument("--baud", type=Int(1, 10_000_000), default=115200, help="as built (default 115200)")
    parser.add_argument("--timeout", type=Int(1, 3600), default=2,
                        help="seconds a reply may take (default 2)")
    parser.add_argument("--steps", type=Int(1, 1 << 31), default=None,
                        help="train: at most this many steps (default task.steps)")
    parser.add_argument("--chunk", type=Int(1, 1 << 31), default=500, help="train: steps between readbacks")
    parser.add_argument("--no-check", action="store_true",
                        help="train: do not run the golden model alongside (only evaluate the read theta)")
    parser.add_argument("--built-config", metavar="FILE.toml", default=None,
                        help="the config the bitstream was built from, when --config trains a streamed-store "
                             "bitstream on another data set (default: --config); train LOADs --config's "
                             "training set into a bitstream with a sample-load port first")
    add_config_args(parser)
    parser.set_defaults(func=_run)
