"""Running the ``regionscope`` command in-process, for the reliability tests (a plain module, imported by name)."""

from __future__ import annotations


def run(argv, capsys):
    """Run ``regionscope argv``: (exit code, stdout, stderr)."""
    from regionscope.cli import main

    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
