from __future__ import annotations

import xml.etree.ElementTree as ET

from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import junit


def test_exact_document() -> None:
    report = Report(
        "lint",
        findings=[
            RULES["AG001"].finding(
                "Two heads: ab12, cd34.",
                "migrations/versions/ab12.py",
                14,
                fix='alembic merge -m "merge heads" ab12 cd34',
            ),
            RULES["AG001"].finding("Two heads: ab12, ef56.", "migrations/versions/ab12.py", 20),
            RULES["AG801"].finding("Behind.", fix="alembic upgrade heads"),
        ],
        checks=["AG001", "AG002"],
    )
    assert junit.render(report) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="alembic-gate lint" tests="3" failures="2" errors="0">\n'
        '  <testsuite name="alembic-gate lint" tests="3" failures="2" errors="0" skipped="0">\n'
        '    <testcase classname="alembic-gate.lint" name="AG001 multiple-heads"'
        ' file="migrations/versions/ab12.py">\n'
        '      <failure message="Two heads: ab12, cd34." type="AG001">'
        "migrations/versions/ab12.py:14: AG001 [multiple-heads] Two heads: ab12, cd34.\n"
        '  fix: alembic merge -m "merge heads" ab12 cd34</failure>\n'
        '      <failure message="Two heads: ab12, ef56." type="AG001">'
        "migrations/versions/ab12.py:20: AG001 [multiple-heads] Two heads: ab12, ef56."
        "</failure>\n"
        "    </testcase>\n"
        '    <testcase classname="alembic-gate.lint" name="AG002 missing-down-revision" />\n'
        '    <testcase classname="alembic-gate.lint" name="AG801 database-behind">\n'
        '      <failure message="Behind." type="AG801">AG801 [database-behind] Behind.\n'
        "  fix: alembic upgrade heads</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n"
    )


def test_no_checks_no_findings() -> None:
    assert junit.render(Report("graph")) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="alembic-gate graph" tests="0" failures="0" errors="0">\n'
        '  <testsuite name="alembic-gate graph" tests="0" failures="0" errors="0" skipped="0" />\n'
        "</testsuites>\n"
    )


def test_file_is_left_out_when_a_check_fails_in_several_files() -> None:
    report = Report(
        "lint",
        findings=[RULES["AG103"].finding("Drops.", path, 3) for path in ("a.py", "b.py")],
        checks=["AG103"],
    )
    (testcase,) = ET.fromstring(junit.render(report)).iter("testcase")
    assert testcase.attrib == {
        "classname": "alembic-gate.lint",
        "name": "AG103 drop-column-or-table",
    }
    assert len(testcase.findall("failure")) == 2


def test_odd_characters_still_make_well_formed_xml() -> None:
    message = 'a <b> & "c" \x00\x08\x1b\ufffe\ud800 d\té\U0001f600\r\nnext]]>'
    finding = RULES["AG007"].finding(message, 'v/<&"\x01.py', 1, fix="x < y && z")
    document = junit.render(Report("lint", findings=[finding]))
    assert document.isascii()
    root = ET.fromstring(document.encode("utf-8"))
    (testcase,) = root.iter("testcase")
    failure = testcase.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == 'a <b> & "c"  d\té\U0001f600\r\nnext]]>'
    assert failure.attrib["type"] == "AG007"
    assert testcase.attrib["file"] == 'v/<&".py'
    assert failure.text == (
        'v/<&".py:1: AG007 [unparsable-revision] a <b> & "c"  d\té\U0001f600\n'
        "    next]]>\n"
        "  fix: x < y && z"
    )
