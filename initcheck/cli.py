"""``initcheck`` command line: one sub-command per module in ``initcheck.commands``.

Each module there defines ``HELP`` (one line), ``configure(parser)`` and
``main(args) -> int`` (the exit status). Modules are imported only when their
command is asked for, so ``initcheck --help`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "run": "initcheck.commands.run",
    "compare": "initcheck.commands.compare",
    "bench": "initcheck.commands.bench",
    "list": "initcheck.commands.list",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="initcheck",
        description="Verify neural-network parameter initializers against their laws.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # a command not built yet is not offered
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_main", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._main(args))
    except KeyboardInterrupt:
        print("initcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
