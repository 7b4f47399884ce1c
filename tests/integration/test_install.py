"""make install [PREFIX] [DESTDIR]: hako, hako-runtime, man pages made from the --help text,
bash and zsh completion; make uninstall removes them."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO, run


@pytest.fixture
def installed(tmp_path):
    dest = tmp_path / "dest"
    p = run(["make", "-C", REPO, "install", f"DESTDIR={dest}", "PREFIX=/usr", f"BUILD={BUILD}"],
            timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return dest / "usr"


def test_install_layout_and_uninstall(installed, tmp_path):
    hako = installed / "bin" / "hako"
    assert os.access(hako, os.X_OK)
    assert os.readlink(installed / "bin" / "hako-runtime") == "hako"
    p = run([installed / "bin" / "hako-runtime", "--version"])
    assert p.returncode == 0 and p.stdout.startswith("hako-runtime version ")
    man = installed / "share" / "man" / "man1"
    pages = {f.name for f in man.iterdir()}
    # a page for hako, the runtime, every command --help lists, and the groups' subcommands
    commands = [line.split()[0] for line in
                run([hako, "--help"]).stdout.split("Commands:\n")[1].splitlines()]
    for c in commands:
        assert f"hako-{c}.1" in pages, c
    assert {"hako.1", "hako-runtime.1", "hako-run.1", "hako-update.1", "hako-system-df.1",
            "hako-image-prune.1", "hako-network-ls.1"} <= pages
    # groff has nothing to warn about on any page
    if shutil.which("groff"):
        for page in sorted(man.iterdir()):
            p = run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
            assert p.returncode == 0 and p.stderr == "", f"{page.name}: {p.stderr}"
    # hako-runtime(1) carries each runtime command's usage line
    runtime_page = (man / "hako-runtime.1").read_text()
    for sub in ("create", "exec", "checkpoint", "update"):
        usage = run([hako, "runtime", sub, "--help"]).stdout.splitlines()[0]
        assert usage.replace("Usage: ", "  ", 1).replace("\\", "\\e") in runtime_page, sub
    run_page = (man / "hako-run.1").read_text()
    assert run_page.startswith('.TH "HAKO-RUN" "1" ')
    assert "hako-run \\- Create and run a new container" in run_page
    # the page is the --help text
    for line in run([hako, "run", "--help"]).stdout.splitlines():
        if line and not line.startswith((".", "'")):
            assert line.replace("\\", "\\e") in run_page
    if shutil.which("man"):
        p = run(["man", "-l", man / "hako-update.1"], env={**os.environ, "MANWIDTH": "80"})
        assert p.returncode == 0 and "--pids-limit" in p.stdout
    assert (installed / "share" / "bash-completion" / "completions" / "hako").is_file()
    assert (installed / "share" / "zsh" / "site-functions" / "_hako").is_file()
    p = run(["make", "-C", REPO, "uninstall", f"DESTDIR={installed.parent}", "PREFIX=/usr",
             f"BUILD={BUILD}"])
    assert p.returncode == 0, p.stderr
    left = [os.path.join(d, f) for d, _, fs in os.walk(installed) for f in fs]
    assert left == []
    assert not os.path.lexists(installed / "bin" / "hako-runtime")


def _complete(installed, *words, env=None):
    script = (f"source {installed}/share/bash-completion/completions/hako\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); "
              f"COMP_CWORD={len(words) - 1}; _hako; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    p = subprocess.run(["bash", "-c", script], text=True, capture_output=True, env=env,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


def test_bash_completion(installed, engine):
    hako = str(installed / "bin" / "hako")
    assert _complete(installed, hako, "up") == ["update"]
    assert "run" in _complete(installed, hako, "r")
    assert _complete(installed, hako, "run", "--memory-s") == ["--memory-swap"]
    assert _complete(installed, hako, "image", "pr") == ["prune"]
    assert "--volumes" in _complete(installed, hako, "system", "prune", "--")
    engine.ok("create", "--name", "complete-me", "busybox", "true")
    root = ["--root", str(engine.root), "--runroot", str(engine.runroot)]
    assert _complete(installed, hako, *root, "rm", "complete") == ["complete-me"]
    assert _complete(installed, hako, *root, "run", "busy") == ["busybox:latest"]
    engine.ok("volume", "create", "vol-x")
    assert _complete(installed, hako, *root, "volume", "rm", "vol") == ["vol-x"]
    # values of flags that name something hako knows
    assert _complete(installed, hako, *root, "run", "--volumes-from", "comp") == ["complete-me"]
    assert _complete(installed, hako, *root, "run", "--restart", "un") == ["unless-stopped"]
    assert _complete(installed, hako, *root, "run", "--network", "b") == ["bridge"]
    assert _complete(installed, hako, *root, "create", "--pull", "") == ["missing", "always",
                                                                         "never"]
    assert _complete(installed, hako, *root, "run", "--network", "ho") == ["host"]
