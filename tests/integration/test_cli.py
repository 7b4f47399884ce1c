"""The front doors: version, help, unknown commands."""
from conftest import HAKO, RUNTIME, run


def test_version():
    p = run([HAKO, "--version"])
    assert p.returncode == 0
    assert p.stdout.startswith("hako version ")


def test_unknown_command_is_an_error():
    p = run([HAKO, "frobnicate"])
    assert p.returncode == 125
    assert "'frobnicate' is not a hako command" in p.stderr
    assert p.stdout == ""
