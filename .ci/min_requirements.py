"""Print pyproject.toml's declared lower bounds as exact pins, for `make min-test`.

The runtime dependencies, the ``test`` and ``sim`` extras (the unit tests drive the voice
simulator) and the build backend: each must name a
``>=`` lower bound (a bound nobody installs is a guess), and is printed as ``name==bound``.
What they pull in themselves is left to pip, as it would be for a user.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def lowest(spec: str, where: str) -> str:
    req = Requirement(spec)
    floors = [s.version for s in req.specifier if s.operator == ">="]
    if len(floors) != 1:
        raise SystemExit(f"{PYPROJECT.name}: {where}: {spec!r} needs exactly one '>=' lower bound")
    marker = f" ; {req.marker}" if req.marker else ""
    return f"{req.name}=={floors[0]}{marker}"


def main() -> int:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    project = data["project"]
    sections = {
        "build-system.requires": data["build-system"]["requires"],
        "project.dependencies": project["dependencies"],
        "project.optional-dependencies.test": project["optional-dependencies"]["test"],
        "project.optional-dependencies.sim": project["optional-dependencies"]["sim"],
    }
    for where, specs in sections.items():
        for spec in specs:
            print(lowest(spec, where))
    return 0


if __name__ == "__main__":
    sys.exit(main())
