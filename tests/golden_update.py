"""Regenerate tests/golden/ after reviewing a change: python -m tests.golden_update"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.engines.test_parity_golden import GOLDEN, demo_session, write_golden


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kizuna-golden-") as tmp:
        session = demo_session(Path(tmp))
        try:
            changed = write_golden(session)
        finally:
            session.close()
    for path in changed:
        print(f"updated {path.relative_to(GOLDEN.parent.parent)}")
    print(f"{len(changed)} golden file(s) changed")


if __name__ == "__main__":
    main()
