"""Oracle for tests/integration/differential.rs: answers version-set questions with Python `packaging`.

Reads one JSON request on stdin and writes one JSON reply on stdout, so the Rust test
starts Python once per run. With `--version` it prints packaging's version and exits.

Request:
  {"window": "<specifier set>", "releases": [...], "dense": [...],
   "sets": [{"spec": "...", "cands": [...], "witness": "<version>" | null}, ...]}
Reply, one entry per set:
  {"ok": bool, "error": str, "pre": bool, "contains": [bool], "any": [bool],
   "outside_released": [str], "dense_outside": bool, "witness_ok": bool | null}

`contains` is `S.contains(v, prereleases=bool(S.prereleases))` (pip resolves None as
"no pre-releases named"), `any` is `S.contains(v, prereleases=True)`.
"""

import json
import sys

import packaging
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version


def main() -> int:
    if "--version" in sys.argv:
        print(packaging.__version__)
        return 0
    req = json.load(sys.stdin)
    window = SpecifierSet(req["window"])
    releases = [Version(r) for r in req["releases"]]
    # Releases and dense candidates the window rejects: only these can be "outside".
    rel_out = [(r, v) for r, v in zip(req["releases"], releases)
               if not window.contains(v, prereleases=True)]
    dense_out = [v for v in map(Version, req["dense"])
                 if not window.contains(v, prereleases=True)]
    # One Version object per distinct string (versions are immutable values; the 10,000 sets
    # draw their 40 candidates each from a pool of a few hundred).
    parsed = {}

    def version(text):
        v = parsed.get(text)
        if v is None:
            v = parsed[text] = Version(text)
        return v

    replies = []
    for case in req["sets"]:
        try:
            s = SpecifierSet(case["spec"])
        except InvalidSpecifier as e:
            replies.append({"ok": False, "error": str(e)})
            continue
        pre = bool(s.prereleases)
        cands = [version(c) for c in case["cands"]]
        reply = {
            "ok": True,
            "pre": pre,
            "contains": [s.contains(v, prereleases=pre) for v in cands],
            "any": [s.contains(v, prereleases=True) for v in cands],
            "outside_released": [r for r, v in rel_out if s.contains(v, prereleases=pre)],
            "dense_outside": any(s.contains(v, prereleases=pre) for v in dense_out),
            "witness_ok": None,
        }
        w = case.get("witness")
        if w is not None:
            wv = Version(w)
            reply["witness_ok"] = (s.contains(wv, prereleases=pre)
                                   and not window.contains(wv, prereleases=True))
        replies.append(reply)
    # One dumps (the C encoder) and one write, not json.dump's stream of small writes.
    sys.stdout.write(json.dumps(replies))
    return 0


if __name__ == "__main__":
    sys.exit(main())
