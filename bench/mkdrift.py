#!/usr/bin/env python3
"""Copy a generated benchmark repository and break it in deterministic ways, so that
`hardline check --format json` has many findings whose order must not depend on the
thread count.

    python3 bench/mkdrift.py SRC_REPO DST_REPO

Changes (fixed seed): 40 checked-in files edited (drift), 5 deleted (missing-file),
5 extra files (unmanaged-file), 3 environments with an out-of-bounds overlay value and
1 with an overlay for an unknown setting.
"""

import random
import re
import shutil
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    rng = random.Random(4242)
    files = sorted(p for p in (dst / "deploy").rglob("*") if p.is_file())
    picked = rng.sample(files, 50)
    for p in picked[:40]:
        lines = p.read_text().splitlines(keepends=True)
        i = rng.randrange(4, len(lines))
        lines[i] = "# edited by hand\n" + lines[i].replace("a", "A", 1)
        p.write_text("".join(lines))
    for p in picked[40:45]:
        p.unlink()
    for p in picked[45:]:
        (p.parent / (p.name + ".orig")).write_text("stale copy\n")
    envs = sorted((dst / "environments").glob("*.yaml"))
    for p in rng.sample(envs, 4):
        text = p.read_text()
        # first integer overlay value -> far out of bounds; else an unknown setting
        new, n = re.subn(r'^(    "[^"]+": )(\d+)$', r"\g<1>99999999", text, count=1, flags=re.M)
        if n == 0:
            new = re.sub(r"^(  [a-z0-9-]+:\n)", r'\1    "NoSuchSetting": 1\n', text, count=1,
                         flags=re.M)
        p.write_text(new)
    print(f"mkdrift.py: {dst}: 40 edited, 5 deleted, 5 unmanaged files, 4 overlays broken")
    return 0


if __name__ == "__main__":
    sys.exit(main())
