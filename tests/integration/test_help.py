"""--help of every hako command: exit 0, the text on stdout, and every flag the command's
parser accepts named in it, as docker's help does.

The flags a command accepts come from the command itself: with HAKO_LIST_OPTIONS=NAME, the
parser (cli_getopt) of the command whose argv[0] is NAME prints the option table it was
given and exits, so this test checks the help against the very table getopt reads."""
import os
import re

import pytest

from conftest import HAKO, run

# Options every parser takes that docker's help does not list.
IMPLIED = {"--help", "-h"}
# Hidden flags of hako's own callers, not the user's (exec's, for the API service's terminals).
HIDDEN = {"exec": {"--winsize-file"}, "container exec": {"--winsize-file"}}
# Commands that take no flag but --help and parse their arguments by hand.
NO_PARSER = {"tag", "image tag", "image unmount"}


def commands(text):
    """The names in the "Commands:" section of a help text."""
    if "\nCommands:\n" not in text:
        return []
    section = text.split("\nCommands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  ([a-z][a-z0-9-]*)\s", section, re.M)]


def help_of(tmp_path, *words):
    p = run([HAKO, "--root", tmp_path / "root", "--runroot", tmp_path / "run", *words,
             "--help"], stdin=open(os.devnull), timeout=30)
    assert p.returncode == 0, f"hako {' '.join(words)} --help exited {p.returncode}: {p.stderr}"
    assert p.stdout.startswith("Usage:"), f"hako {' '.join(words)} --help: {p.stdout!r}"
    assert p.stderr == "", f"hako {' '.join(words)} --help wrote to stderr: {p.stderr}"
    return p.stdout


def accepted(tmp_path, *words):
    """The options the parser of `hako WORDS` accepts, from its own table."""
    env = dict(os.environ, HAKO_LIST_OPTIONS=words[-1] if words else "hako")
    p = run([HAKO, "--root", tmp_path / "root", "--runroot", tmp_path / "run", *words],
            env=env, stdin=open(os.devnull), timeout=30)
    if p.returncode != 0 or not p.stdout:
        return None
    return p.stdout.split()


def named(text, flag):
    """flag as a word of its own: "-a|--all", "(--env-file FILE)", not --net in --network."""
    return re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text)


def all_commands(tmp_path):
    """Every command and subcommand of `hako --help`, as word lists; groups (container,
    network, ...) give their subcommands."""
    out, todo = [], [[c] for c in commands(help_of(tmp_path))]
    while todo:
        words = todo.pop(0)
        if words == ["runtime"]:
            continue  # the OCI runtime: its own front door (test_runtime_help)
        text = help_of(tmp_path, *words)
        subs = commands(text)
        if subs:
            todo += [words + [s] for s in subs]
        else:
            out.append((words, text))
    return out


def test_every_command_lists_every_flag(tmp_path):
    found = all_commands(tmp_path)
    names = {" ".join(w) for w, _ in found}
    # the list really is walked: top-level commands and the management groups' subcommands
    for must in ("run", "ps", "network ls", "volume create", "image ls", "system service",
                 "container run"):
        assert must in names, f"hako {must} not reached from hako --help: {sorted(names)}"
    missing = []
    for words, text in [([], help_of(tmp_path))] + found:
        flags = accepted(tmp_path, *words)
        if flags is None and " ".join(words) in NO_PARSER:
            p = run([HAKO, "--root", tmp_path / "root", *words, "--bogus", "a", "b"])
            assert p.returncode != 0, f"hako {' '.join(words)} took --bogus"
        elif flags is None:
            missing.append(f"hako {' '.join(words)}: its parser did not list its options "
                           "(a parser of its own instead of cli_getopt?)")
        for flag in flags or []:
            if flag not in IMPLIED | HIDDEN.get(" ".join(words), set()) and \
                    not named(text, flag):
                missing.append(f"hako {' '.join(words)}: {flag}")
    assert not missing, "flags missing from --help:\n" + "\n".join(missing)


def test_dash_h_is_help(tmp_path):
    """-h prints the same help as --help, but where the command has a -h of its own (run's
    and create's --hostname)."""
    for words, text in [([], help_of(tmp_path))] + all_commands(tmp_path) + \
            [([g], help_of(tmp_path, g)) for g in ("container", "image", "network", "volume",
                                                   "system")]:
        if re.search(r"^\s+-h, --(?!help)", text, re.M):
            continue
        p = run([HAKO, "--root", tmp_path / "root", "--runroot", tmp_path / "run", *words,
                 "-h"], stdin=open(os.devnull))
        assert (p.returncode, p.stdout) == (0, text), f"hako {' '.join(words)} -h: {p.stderr}"
    p = run([HAKO, "run", "-h"])
    assert p.returncode == 125 and "-h" in p.stderr  # --hostname wants its value


def test_runtime_help(tmp_path):
    p = run([HAKO, "runtime", "--help"])
    assert p.returncode == 0 and p.stdout.startswith("Usage:"), p
    subs = commands(p.stdout)
    for must in ("create", "start", "state", "kill", "delete", "exec", "run", "spec"):
        assert must in subs, f"hako-runtime --help lacks {must}: {p.stdout}"


@pytest.mark.parametrize("cmd", [["frobnicate"], ["network", "frobnicate"]])
def test_unknown_command_is_not_help(tmp_path, cmd):
    p = run([HAKO, *cmd, "--help"])
    assert p.returncode != 0 and "frobnicate" in p.stderr
