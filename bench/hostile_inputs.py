#!/usr/bin/env python3
"""Issue 15 §4: inputs that once made depwindow's cost super-linear, each below the 8 MiB cap.

    python3 bench/hostile_inputs.py OUT_DIR [--scale 1.0]

Writes one directory per case under OUT_DIR (each a project root with the hostile file), for
bench/hostile.sh to check one at a time under /usr/bin/time. --scale shrinks every case (0.5 =
half the clauses, lines, ...) to see how the cost grows with size.
"""
import os
import sys

TF = "tensorflow==1.14.0"
CAP = 8 * 1024 * 1024


def cases(scale):
    def n(x):
        return max(1, int(x * scale))

    clauses = ",".join(f"!=1.{i}" for i in range(n(200_000)))
    yield "poetry-200k-clauses", "pyproject.toml", (
        '[tool.poetry]\nname = "p"\nversion = "0"\n[tool.poetry.dependencies]\n'
        'python = "^3.7"\ntensorflow = "1.14.0"\n'
        f'numpy = "{clauses}"\n'
    )
    extras = ",".join(f"e{i}" for i in range(n(100_000)))
    yield "pep621-100k-extras", "pyproject.toml", (
        f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}", "numpy[{extras}]>=1.0"]\n'
        "[project.optional-dependencies]\n"
        + "".join(f'e{i} = ["numpy>=1.{i}"]\n' for i in range(n(100_000) // 4))
    )
    extras = ",".join(f"e{i}" for i in range(n(50_000)))
    yield "setup-py-50k-extras", "setup.py", (
        "from setuptools import setup\nsetup(name='p', install_requires=["
        f"'{TF}', 'numpy[{extras}]>=1.0'], extras_require={{\n"
        + "".join(f"    'e{i}': ['numpy>=1.{i}'],\n" for i in range(n(50_000)))
        + "})\n"
    )
    # Base requirements x extras: each extra's unit holds the base (M x E members).
    base = "".join(f'"p{i}", ' for i in range(n(5_000)))
    yield "pep621-5k-base-5k-extras", "pyproject.toml", (
        f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}", "numpy>=1.0", {base}]\n'
        "[project.optional-dependencies]\n"
        + "".join(f'e{i} = ["q{i}"]\n' for i in range(n(5_000)))
    )
    groups = ", ".join(f'"g{i}"' for i in range(n(20_000)))
    yield "pdm-lock-20k-groups", "pdm.lock", (
        f'[metadata]\ngroups = [{groups}]\nstrategy = ["cross_platform"]\nlock_version = "4.4"\n'
        'content_hash = "sha256:0"\n\n'
        f'[[package]]\nname = "numpy"\nversion = "1.19.0"\ngroups = [{groups}]\n'
        'requires_python = ">=3.6"\n\n'
        f'[[package]]\nname = "tensorflow"\nversion = "1.14.0"\ngroups = [{groups}]\n'
    )
    line = f"{TF}\nnumpy"
    i = 0
    parts = [line]
    size = len(line)
    limit = int((CAP - 64) * scale)
    while size < limit:
        c = f"!=1.{i}," if i else f"!=1.{i}"
        # keep "!=1.0" first, then comma-prefixed
        c = ("," if i else "") + f"!=1.{i}"
        parts.append(c)
        size += len(c)
        i += 1
    yield "requirements-8mib-line", "requirements.txt", "".join(parts) + "\n"
    # The same line with clauses pep440_rs holds in its full form (a pre-release suffix):
    # about 200 bytes of version per clause until they were held wide (versions::Wide).
    def clause_list(room, clause):
        parts, size, i = [], 0, 0
        while size < room:
            c = ("," if i else "") + clause(i)
            parts.append(c)
            size += len(c)
            i += 1
        return "".join(parts)
    line = f"{TF}\nnumpy"
    yield "requirements-8mib-line-prereleases", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f"!=1.{i}rc1") + "\n")
    # Other clauses pep440_rs holds in its full form: a local label, an epoch, four release
    # segments (each read whole by pep508_rs before any was kept: 377, 269 and 218 MB).
    yield "requirements-8mib-line-locals", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f"!={i}+a") + "\n")
    yield "requirements-8mib-line-epochs", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f"!=1!{i}") + "\n")
    yield "requirements-8mib-line-four-segments", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f"!=1.0.0.{i}") + "\n")
    # The shortest non-plain clauses (`!={i}a`: 290 MB), one repeated to the cap (`!=1a`:
    # 435 MB, each held again), lower bounds (`>={i}rc1`: 274 MB, every clause's set held
    # before the intersection), and one clause whose label has 4M segments (966 MB, 3.3 s:
    # pep440_rs makes a string per segment).
    yield "requirements-8mib-line-short-prereleases", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f"!={i}a") + "\n")
    yield "requirements-8mib-line-repeated", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: "!=1a") + "\n")
    yield "requirements-8mib-line-lower-bounds", "requirements.txt", (
        line + clause_list(limit - len(line), lambda i: f">={i}rc1") + "\n")
    label = ".".join(["a"] * ((limit - len(line) - 8) // 2))
    yield "requirements-8mib-one-label", "requirements.txt", f"{line}!=1+{label}\n"
    # The repeated clause, then one that is not a clause: pep508_rs reads the line for its
    # refusal, and built every clause's version first (313 MB).
    yield "requirements-8mib-line-then-bad-clause", "requirements.txt", (
        line + clause_list(limit - len(line) - 8, lambda i: "!=1a") + ",!=x\n")
    # A Requires-Python of 8 MiB (its pep440_rs list was kept: 221 MB plain, 234 MB with
    # pre-releases).
    head = f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}", "numpy"]\n'
    head += 'requires-python = "'
    yield "pep621-8mib-requires-python", "pyproject.toml", (
        head + clause_list(limit - len(head), lambda i: f"!=3.{i}rc1") + '"\n')
    # The pre-release list in a PEP 621 string and as a Poetry constraint.
    head = f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}", "numpy'
    yield "pep621-8mib-prereleases", "pyproject.toml", (
        head + clause_list(limit - len(head), lambda i: f"!=1.{i}rc1") + '"]\n')
    head = ('[tool.poetry]\nname = "p"\nversion = "0"\n[tool.poetry.dependencies]\n'
            'python = "^3.7"\ntensorflow = "1.14.0"\nnumpy = "')
    yield "poetry-8mib-prereleases", "pyproject.toml", (
        head + clause_list(limit - len(head), lambda i: f"!=1.{i}rc1") + '"\n')
    # The same list as one side of a union (`VersionReq::AnyOf` held pep440_rs's lists:
    # 328 MB).
    yield "poetry-8mib-union", "pyproject.toml", (
        head + clause_list(limit - len(head) - 12, lambda i: f"!=1.{i}rc1") + ' || >=2"\n')
    # A union of local-label clauses (204 MB: each set of the requirement built its union
    # anew, beside the remembered alternative).
    yield "poetry-8mib-union-locals", "pyproject.toml", (
        head + clause_list(limit - len(head) - 16, lambda i: f"!={i}+a") + ' || 1.16.*"\n')
    # The other readers of a long Poetry constraint or a TOML clause list: Poetry's
    # `python`, poetry.lock's `[metadata] python-versions`, a Pipfile's version string.
    head = ('[tool.poetry]\nname = "p"\nversion = "0"\n[tool.poetry.dependencies]\n'
            f'tensorflow = "1.14.0"\nnumpy = "^1.16"\npython = "')
    yield "poetry-8mib-python", "pyproject.toml", (
        head + clause_list(limit - len(head), lambda i: f"!=3.{i}rc1") + '"\n')
    lock = "".join(
        f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
        'optional = false\npython-versions = "*"\nfiles = []\n\n'
        for name, version in [("numpy", "1.20.0"), ("tensorflow", "1.14.0")])
    head = lock + '[metadata]\nlock-version = "2.0"\ncontent-hash = "x"\npython-versions = "'
    yield "poetry-lock-8mib-python-versions", "poetry.lock", (
        head + clause_list(limit - len(head), lambda i: f"!=3.{i}rc1") + '"\n')
    head = '[packages]\ntensorflow = "==1.14.0"\nnumpy = "'
    yield "pipfile-8mib-prereleases", "Pipfile", (
        head + clause_list(limit - len(head), lambda i: f"!=1.{i}rc1") + '"\n')
    yield "requirements-750k-lines", "requirements.txt", TF + "\n" + "numpy>=1.0\n" * n(750_000)
    # The shortest entries each format allows, up to the cap: the most requirements (and
    # objects per byte) an 8 MiB file can hold. The rule's package ("gast") or a package no
    # rule reads ("a").
    def fill(head, entry, tail="", k=None):
        count = (limit - len(head) - len(tail)) // len(entry(0)) if k is None else n(k)
        return head + "".join(entry(i) for i in range(count)) + tail
    yield "requirements-4m-short-lines", "requirements.txt", fill(TF + "\n", lambda i: "a\n")
    yield "requirements-1.6m-gast-lines", "requirements.txt", fill(TF + "\n", lambda i: "gast\n")
    yield "requirements-520k-distinct", "requirements.txt", fill(
        TF + "\n", lambda i: f"numpy>=1.{i}\n", k=520_000)
    # Lines with extras and a pre-release bound (220 MB while each line held its own copy
    # of its extras).
    yield "requirements-420k-lines-extras-prerelease", "requirements.txt", fill(
        TF + "\n", lambda i: f"numpy[x]>={i}rc1\n", k=420_000)
    # One constraints file of distinct `!=` lines: 525k requirements, each with its own set,
    # met on every environment.
    yield "constraints-525k-lines", "c.txt", fill("", lambda i: f"numpy!=1.{i}\n", k=525_000)
    # Distinct markers on a rule's package, in their shortest form, to the cap: pep508_rs
    # keeps every distinct marker it parses in one global decision diagram, never freed.
    # A Python version every environment fixes, and a variable none fixes (each marker is
    # unknown, so it is also compared with the trigger's).
    yield "markers-265k-distinct-python", "requirements.txt", fill(
        TF + "\n", lambda i: f'numpy;python_version>"3.{i}"\n', k=265_000)
    yield "markers-257k-distinct-release", "requirements.txt", fill(
        TF + "\n", lambda i: f'numpy;platform_release=="{i}"\n', k=257_000)
    yield "pyproject-2m-short-strings", "pyproject.toml", fill(
        f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}",', lambda i: '"a",', "]\n")
    # The same strings, then a table defined twice at the very end: the lean TOML tree
    # (formats/toml_tree.rs) refuses it, and the text is parsed again by `toml` for its own
    # error, so a late error costs what `toml`'s whole parse costs.
    yield "pyproject-2m-strings-late-error", "pyproject.toml", fill(
        f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}",', lambda i: '"a",',
        "]\n[x]\n[x]\n")
    yield "conda-pip-1.2m-gast", "environment.yml", fill(
        f"dependencies:\n- pip:\n  - {TF}\n", lambda i: "  - gast\n")
    yield "conda-2.7m-short-entries", "environment.yml", fill(
        "dependencies:\n- tensorflow=1.14.0\n", lambda i: "- a\n")
    yield "setup-cfg-1m-gast", "setup.cfg", fill(
        f"[options]\ninstall_requires =\n    {TF}\n", lambda i: "    gast\n")
    yield "uv-lock-150k-packages", "uv.lock", fill(
        f'version = 1\nrequires-python = ">=3.6"\n\n[[package]]\nname = "tensorflow"\n'
        'version = "1.14.0"\n\n',
        lambda i: f'[[package]]\nname = "a{i}"\nversion = "1.0"\n\n', k=150_000)
    dists = ", ".join(f'"dist{i}"' for i in range(n(100_000)))
    rule = (
        "schema = 1\n[trigger]\ntitle = \"T\"\n"
        f"distributions = [{dists}]\n"
        'version = ">=0"\npythons = ["3.7"]\nreleases = "tensorflow-by-python"\n'
        'sources = ["s"]\n'
        '[[package]]\nid = "x/numpy-extra"\nname = "numpy"\nwindow = ">=1.16,<1.19"\nabsence = "finding"\n'
        'severity = "error"\nreleases = "numpy"\n'
        'summary = "s"\nexplanation = "e"\nsources = ["s"]\n'
    )
    yield "rule-file-100k-distributions", "rules/big.toml", rule
    globs = ", ".join(f'"vendor{i}/**"' for i in range(n(100_000)))
    yield "config-100k-exclude-globs", "depwindow.toml", f"exclude = [{globs}]\n"


def main():
    out = sys.argv[1]
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
    for name, rel, text in cases(scale):
        d = os.path.join(out, name)
        path = os.path.join(d, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        if name.startswith("rule-file"):
            with open(os.path.join(d, "depwindow.toml"), "w") as f:
                f.write('extra-rules = ["rules/big.toml"]\n')
            with open(os.path.join(d, "requirements.txt"), "w") as f:
                f.write("dist5\nnumpy>=1.0\n")
        if name.startswith("constraints-"):
            with open(os.path.join(d, "requirements.txt"), "w") as f:
                f.write(f"{TF}\n-c c.txt\nnumpy\n")
        if name.startswith("uv-lock"):
            with open(os.path.join(d, "pyproject.toml"), "w") as f:
                f.write(f'[project]\nname = "p"\nversion = "0"\ndependencies = ["{TF}", "numpy"]\n')
        if name.startswith("config-"):
            with open(os.path.join(d, "requirements.txt"), "w") as f:
                f.write(f"{TF}\nnumpy>=1.0\n")
        print(f"{name}: {rel}, {os.path.getsize(path)} bytes")


main()
