"""The README's services table says what the running binary says."""
import json
import os
import re
import urllib.request

from conftest import ROOT

STATE = {"running": "running", "model only": "not_implemented"}


def readme_services():
    text = open(os.path.join(ROOT, "README.md")).read()
    block = text.split("<!-- services:begin -->", 1)[1].split("<!-- services:end -->", 1)[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1]
    return rows


def test_services_table_matches_health(endpoint):
    health = json.load(urllib.request.urlopen(endpoint + "/_lamina/health"))
    table = readme_services()
    assert set(table) == set(health["services"]), "README lists other services than the binary"
    for name, state in table.items():
        assert STATE[state] == health["services"][name]["state"], name


def test_quick_start_commands_are_the_real_ones():
    text = open(os.path.join(ROOT, "README.md")).read()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(\S.*?)\s+# (run|test) it", quick, re.M)
    assert [c[1] for c in commands] == ["run", "test"]
    assert commands[1][0] == "./scripts/test"
    assert os.access(os.path.join(ROOT, "scripts", "test"), os.X_OK)
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    assert "scripts/test" in ci
