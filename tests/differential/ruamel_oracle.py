"""Oracle for tests/integration/yaml_differential.rs: what ruamel.yaml (conda's YAML loader) makes of
YAML documents.

conda reads environment files with `ruamel.yaml.YAML(typ="rt")` (conda >= 26.1,
`conda/common/serialize/yaml.py`); before that with `YAML(typ="safe", pure=True)`. Both
resolve plain scalars with the same versioned resolver, so composing (parsing and resolving
tags, without constructing Python objects) is what matters here.

Reads a JSON list of documents on stdin; writes one JSON value per document: the composed
tree, where a scalar is its string when its tag is `str`, else {"kind": "<tag suffix>"};
mappings are lists of [key, value] pairs; a document ruamel refuses is {"error": "<class>"}.
With `--version` it prints ruamel.yaml's version and exits.
"""

import json
import sys

import ruamel.yaml
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode


def tree(node):
    if isinstance(node, ScalarNode):
        tag = str(node.tag)
        if tag == "tag:yaml.org,2002:str":
            # The round-trip composer marks folds of `>` scalars with "\a"; the loaded
            # string has none.
            return node.value.replace("\a", "") if node.style == ">" else node.value
        return {"kind": tag.rsplit(":", 1)[-1]}
    if isinstance(node, SequenceNode):
        return [tree(n) for n in node.value]
    if isinstance(node, MappingNode):
        return [[tree(k), tree(v)] for k, v in node.value]
    return {"kind": "unknown"}


def main() -> int:
    if "--version" in sys.argv:
        print(ruamel.yaml.__version__)
        return 0
    out = []
    for doc in json.load(sys.stdin):
        # A fresh loader per document: a `%YAML 1.1` directive sticks to a loader.
        yaml = ruamel.yaml.YAML(typ="rt", pure=True)
        try:
            node = yaml.compose(doc)
            out.append(None if node is None else tree(node))
        except Exception as e:  # noqa: BLE001 - any refusal is an answer
            out.append({"error": type(e).__name__})
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
