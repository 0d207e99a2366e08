"""The ``adverse-impact`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from adverse_impact._version import __version__


def _example(args: argparse.Namespace) -> int:
    from adverse_impact._audit import audit
    from adverse_impact.datasets._examples import load_eeoc_example

    data = load_eeoc_example()
    result = audit(data, selected="advanced", groups="race")
    print("EEOC 2023 technical-assistance example: 80 White and 40 Black applicants")
    print(result)
    verdict = "passes" if result.passes() else "FAILS"
    print(f"\nThe four-fifths rule (29 CFR 1607.4(D)) {verdict}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adverse-impact",
        description="Test hiring decisions and models for adverse impact.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    example = commands.add_parser(
        "example", help="audit the EEOC's 2023 worked example",
        description="Audit the EEOC's 2023 worked example and print the table.\n\n"
                    "Example:\n  adverse-impact example",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    example.set_defaults(func=_example)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adverse-impact`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
