from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import junitparser
import pytest
from lxml import etree as lxml_etree

from alembic_gate.findings import Report
from alembic_gate.findings.catalog import RULES
from alembic_gate.reporters import junit

if TYPE_CHECKING:
    from alembic_gate.findings import Severity


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
        '    <testcase classname="alembic-gate.lint" name="AG001 multiple-heads">\n'
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


def test_a_testcase_has_only_the_attributes_jenkins_allows() -> None:
    report = Report(
        "lint",
        findings=[RULES["AG103"].finding("Drops.", path, 3) for path in ("a.py", "b.py")],
        checks=["AG103"],
        fail_on="warning",
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
    # Controls are written as visible escapes; what XML cannot hold at all is dropped.
    assert failure.attrib["message"] == 'a <b> & "c" \\x00\\x08\\x1b d\té\U0001f600\\r\nnext]]>'
    assert failure.attrib["type"] == "AG007"
    assert failure.text == (
        'v/<&"\\x01.py:1: AG007 [unparsable-revision] a <b> & "c" \\x00\\x08\\x1b '
        "d\té\U0001f600\\r\n"
        "    next]]>\n"
        "  fix: x < y && z"
    )


# --- the tests tab agrees with the exit code ------------------------------------------------

SCHEMA = lxml_etree.XMLSchema(
    lxml_etree.parse(str(Path(__file__).parents[1] / "schemas" / "jenkins-junit-10.xsd"))
)


def _mixed(fail_on: Severity) -> Report:
    return Report(
        "lint",
        findings=[
            RULES["AG001"].finding("Two heads.", "v/ab.py", 3, fix="alembic merge heads"),
            RULES["AG103"].finding("Drops users.email.", "v/cd.py", 9),
            RULES["AG103"].finding("Drops users.name.", "v/ef.py", 4),
        ],
        checks=["AG001", "AG002", "AG103"],
        fail_on=fail_on,
    )


def _read(report: Report, tmp_path: Path) -> junitparser.JUnitXml:
    path = tmp_path / "junit.xml"
    path.write_text(junit.render(report), encoding="utf-8")
    document = lxml_etree.parse(str(path))
    assert SCHEMA.validate(document), SCHEMA.error_log
    return junitparser.JUnitXml.fromfile(str(path))


@pytest.mark.parametrize(("fail_on", "failed"), [("error", 1), ("warning", 2), ("info", 2)])
def test_failures_are_what_fails_the_run(fail_on: Severity, failed: int, tmp_path: Path) -> None:
    report = _mixed(fail_on)
    xml = _read(report, tmp_path)
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, failed, 0, 0)
    cases = {case.name: case for case in suite}
    assert not cases["AG001 multiple-heads"].is_passed
    assert cases["AG002 missing-down-revision"].is_passed
    ag103 = cases["AG103 drop-column-or-table"]
    assert ag103.is_passed == (fail_on == "error")
    assert (suite.failures > 0) == (report.exit_code == 1)


def test_findings_that_pass_are_in_the_testcase_output(tmp_path: Path) -> None:
    (suite,) = list(_read(_mixed("error"), tmp_path))
    ag103 = next(case for case in suite if case.name == "AG103 drop-column-or-table")
    assert ag103.result == []
    assert ag103.system_out == (
        "v/cd.py:9: AG103 [drop-column-or-table] Drops users.email.\n"
        "v/ef.py:4: AG103 [drop-column-or-table] Drops users.name."
    )


def test_only_warnings_make_a_green_tab(tmp_path: Path) -> None:
    report = Report(
        "lint", findings=[RULES["AG103"].finding("Drops.", "v/a.py", 1)], checks=["AG103"]
    )
    assert report.exit_code == 0
    (suite,) = list(_read(report, tmp_path))
    assert suite.failures == 0 and all(case.is_passed for case in suite)


def test_the_exact_document_is_valid_for_jenkins(tmp_path: Path) -> None:
    report = Report(
        "check",
        findings=[RULES["AG007"].finding('a <b> & "c" \x1b', "v/<&.py", 1, fix="x < y")],
        checks=["AG007", "AG902"],
    )
    _read(report, tmp_path)
