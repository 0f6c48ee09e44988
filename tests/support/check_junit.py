"""Parse a JUnit XML file with a real XML parser and print a summary the Rust test checks.

Usage: check_junit.py FILE
Prints one line per failure: `suite|testcase|type|message`, then `tests=N failures=M`.
Exit 1 when the XML does not parse.
"""
import sys
import xml.etree.ElementTree as ET


def main():
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except ET.ParseError as e:
        print(f"invalid XML: {e}", file=sys.stderr)
        sys.exit(1)
    assert root.tag == "testsuites", root.tag
    for suite in root.findall("testsuite"):
        for case in suite.findall("testcase"):
            for failure in case.findall("failure"):
                print(
                    "|".join(
                        [
                            suite.get("name"),
                            case.get("name"),
                            failure.get("type"),
                            failure.get("message"),
                        ]
                    )
                )
    print(f"tests={root.get('tests')} failures={root.get('failures')}")


if __name__ == "__main__":
    main()
