"""Regenerate docs/rules.md from pglint/rule_docs/*.md.

    python scripts/gen_docs.py            # write docs/rules.md
    python scripts/gen_docs.py --check    # exit 1 if docs/rules.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pglint.docs import render_all  # noqa: E402  (after the sys.path insert)

OUT = ROOT / "docs" / "rules.md"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/rules.md is stale")
    args = ap.parse_args(argv)
    text = render_all()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.is_file() else None
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python scripts/gen_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
