#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Print the PEP 508 marker environment of the interpreter that runs this script.

Runs on CPython 2.7 and 3.x with no third-party package. The values are computed
the way PEP 508's reference definitions and `packaging.markers.default_environment()`
compute them:

- on an interpreter without `sys.implementation` (Python 2.7),
  `implementation_name` is "" and `implementation_version` is "0";
- otherwise both come from `sys.implementation` (the version formatted as
  major.minor.micro, plus the release level's first letter and serial when the
  interpreter is not a final release).

When `packaging` is importable, its own `default_environment()` is printed too, under
"packaging", with its version, and "agrees" says whether the two are equal. The
output is one JSON object (sorted keys) on stdout; `tests/oracles/README.md`
says how the recordings in `tests/oracles/recorded/` were made from it.
"""
from __future__ import print_function

import json
import os
import platform
import sys


def _full_version(info):
    text = "%d.%d.%d" % (info[0], info[1], info[2])
    level = info[3]
    if level != "final":
        text += level[0] + str(info[4])
    return text


def marker_environment():
    impl = getattr(sys, "implementation", None)
    if impl is None:
        name, version = "", "0"
    else:
        name, version = impl.name, _full_version(impl.version)
    return {
        "implementation_name": name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def main():
    own = marker_environment()
    out = {"interpreter": sys.executable, "environment": own}
    try:
        import packaging
        from packaging.markers import default_environment
    except ImportError:
        out["packaging"] = None
    else:
        theirs = dict(default_environment())
        out["packaging"] = {"version": packaging.__version__, "environment": theirs}
        out["agrees"] = theirs == own
    print(json.dumps(out, indent=2, sort_keys=True, separators=(",", ": ")))
    return 0 if out.get("agrees", True) else 1


if __name__ == "__main__":
    sys.exit(main())
