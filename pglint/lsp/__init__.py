"""``pglint server``: the static pass in the editor, as a Language Server over stdio.

``analysis`` holds what the server knows without pygls (settings per project, the
project's group-key reads, findings for a buffer, fixes and noqa edits); ``server``
speaks LSP with pygls, the optional ``pglint[lsp]`` extra.
"""

from __future__ import annotations

import sys

INSTALL_HINT = "pip install 'pglint[lsp]'"


def main() -> int:
    """Run the server on stdin/stdout until the client exits; 2 when pygls is missing."""
    try:
        import pygls  # noqa: F401
    except ImportError:
        print(f"pglint: error: `pglint server` needs pygls: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from pglint.lsp.server import serve

    serve()
    return 0
