"""Oracle for the Poetry constraint differential test (tests/integration/poetry_differential.rs).

Reads JSON {"versions": [...], "constraints": [...]} on stdin and writes one line per
constraint: "ERR" when poetry-core cannot parse it, "CRASH <exception>" when
poetry-core fails internally, else a string of 0/1 saying which of
the given versions the constraint allows. Needs poetry-core (2.5) importable.
"""

import json
import sys

from poetry.core.constraints.version import Version, parse_constraint
from poetry.core.constraints.version.exceptions import ParseConstraintError
from poetry.core.version.exceptions import InvalidVersionError


def main() -> None:
    data = json.load(sys.stdin)
    versions = [Version.parse(v) for v in data["versions"]]
    out = []
    for c in data["constraints"]:
        try:
            parsed = parse_constraint(c)
        except (ParseConstraintError, InvalidVersionError, ValueError):
            out.append("ERR")
            continue
        except Exception as e:  # noqa: BLE001
            # poetry-core itself breaks (an AssertionError when intersecting the empty
            # range of `1.0.post2.dev1.*` with anything): poetry would fail too, so the
            # translation has nothing to agree with.
            out.append("CRASH " + type(e).__name__)
            continue
        out.append("".join("1" if parsed.allows(v) else "0" for v in versions))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
