"""Validate a JSON document against a JSON Schema (used for SARIF output).

Usage: validate_json_schema.py SCHEMA INSTANCE
Exit 0 when valid; 1 with every error printed when not; 3 when `jsonschema` is missing
(the Rust test decides whether that is a skip or a failure).
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python module `jsonschema` is not installed", file=sys.stderr)
    sys.exit(3)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        instance = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # FORMAT_CHECKER exists from jsonschema 4.5; older versions validate without formats.
    validator = cls(schema, format_checker=getattr(cls, "FORMAT_CHECKER", None))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"{path}: {e.message}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
