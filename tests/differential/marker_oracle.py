"""Oracle for tests/integration/marker_differential.rs: evaluates PEP 508 markers with Python
`packaging` on given marker environments.

Reads one JSON request on stdin and writes one JSON reply on stdout, so the Rust test
starts Python once per run. With `--version` it prints packaging's version and exits.

Request:
  {"markers": ["<marker>", ...],
   "envs": [[{<every marker variable>: "<value>"}, ...], ...]}
Each entry of "envs" is one target environment given as its variants: every value a
variable the environment does not pin down may take (the patch releases of the Python,
sample `platform_release` values). A marker is evaluated only on the variants that differ
in what it mentions (the first variant per distinct value of the variables it names).
Reply, one entry per marker, one per environment: the sorted distinct answers over that
environment's variants ([false], [true] or [false, true]), or {"error": "<text>"}.
"""

import json
import sys

import packaging
from packaging.markers import Marker


def main() -> int:
    if "--version" in sys.argv:
        print(packaging.__version__)
        return 0
    req = json.load(sys.stdin)
    out = []
    for text in req["markers"]:
        try:
            marker = Marker(text)
        except Exception as e:  # noqa: BLE001 - reported to the Rust side
            out.append({"error": f"parse: {e}"})
            continue
        try:
            row = []
            moving = ("python_full_version", "implementation_version", "platform_release")
            named = [k for k in moving if k in text]
            for variants in req["envs"]:
                seen = set()
                answers = set()
                for v in variants:
                    key = tuple(v[k] for k in named)
                    if key in seen:
                        continue
                    seen.add(key)
                    answers.add(bool(marker.evaluate(dict(v))))
                row.append(sorted(answers))
            out.append(row)
        except Exception as e:  # noqa: BLE001
            out.append({"error": f"evaluate: {e}"})
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
