"""The seed scenario, end to end in a real terminal (tmux): `hako run -it busybox /bin/sh`,
`ps` inside shows /bin/sh as PID 1 and nothing of the host, `exit 3` returns 3. Plus
attach/detach and exec -it in a terminal."""
import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_engine_basic import wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, name, tmp_path):
        self.name = name
        self.sock = str(tmp_path / "tmux.sock")  # our own tmux server, ended at teardown

    def tmux(self, *args, **kw):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True,
                              **kw)

    def start(self, cmd, width=100, height=30):
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), cmd,
                  check=True)

    def send(self, *keys):
        self.tmux("send-keys", "-t", self.name, *keys, check=True)

    def screen(self):
        return self.tmux("capture-pane", "-t", self.name, "-p").stdout

    def wait_screen(self, text, timeout=10):
        return wait_for(lambda: text in self.screen(), timeout, f"{text!r} on screen:\n"
                        f"{self.screen()}")

    def kill(self):
        self.tmux("kill-server")


@pytest.fixture
def tmux(tmp_path):
    t = Tmux("hako", tmp_path)
    yield t
    t.kill()


def test_seed_run_it_busybox_sh(engine, tmux, tmp_path):
    rc_file = tmp_path / "rc"
    cmd = " ".join(shlex.quote(str(a)) for a in engine.argv("run", "-it", "--name", "seed",
                                                            "busybox", "/bin/sh"))
    tmux.start(f"{cmd}; echo $? > {rc_file}; sleep 60")
    tmux.wait_screen("/ #")
    tmux.send("ps -o pid,args; echo done-$((6*7))", "Enter")
    tmux.wait_screen("done-42")
    screen = tmux.screen()
    rows = [l.split(None, 1) for l in screen.split("ps -o pid,args")[1].splitlines()[1:]
            if l.strip() and l.split()[0].isdigit()]
    procs = {int(pid): args.strip() for pid, args in rows}
    assert procs[1] == "/bin/sh", screen
    assert all(pid < 20 for pid in procs), screen  # nothing of the host
    assert len(procs) == 2 and "ps" in procs[max(procs)], screen  # busybox: "{ps} /bin/sh"
    # the terminal: a pty of the container's own, the window size followed
    tmux.send("tty; stty size; echo $TERM; hostname", "Enter")
    tmux.wait_screen("/dev/pts/0")
    tmux.wait_screen("30 100")
    assert "xterm" in tmux.screen()
    info = engine.inspect("seed")
    assert info["Config"]["Tty"] and info["State"]["Running"]
    assert info["Config"]["Hostname"] == info["Id"][:12]
    tmux.send("exit 3", "Enter")
    wait_for(lambda: rc_file.exists() and rc_file.read_text().strip(), what="exit status")
    assert rc_file.read_text().strip() == "3"
    assert engine.inspect("seed")["State"]["ExitCode"] == 3
    # the terminal session was logged (docker's json-file, "\r\n" as the tty wrote it)
    assert "done-42" in engine.ok("logs", "seed").stdout
    log = Path(info["LogPath"]).read_text().splitlines()
    entries = [json.loads(l) for l in log]
    assert {"log": "done-42\r\n", "stream": "stdout"}.items() <= \
        [e for e in entries if "done-42" in e["log"] and "echo" not in e["log"]][0].items()


def test_detach_keys_then_attach(engine, tmux, tmp_path):
    cmd = " ".join(shlex.quote(str(a)) for a in engine.argv("run", "-it", "--name", "det",
                                                            "busybox", "/bin/sh"))
    attach = " ".join(shlex.quote(str(a)) for a in engine.argv("attach", "det"))
    flag = tmp_path / "go"
    # detach, then (once the test has looked) attach again from the same terminal
    tmux.start(f"{cmd}; echo detached-$?; while [ ! -e {flag} ]; do sleep 0.1; done; "
               f"{attach}; echo attach-rc-$?; sleep 60")
    tmux.wait_screen("/ #")
    tmux.send("C-p", "C-q")
    tmux.wait_screen("detached-0")
    assert engine.inspect("det")["State"]["Running"]
    # what is typed before attach puts the terminal in raw mode stays queued for it (TCSANOW)
    flag.touch()
    tmux.send("echo back-$((40+2))", "Enter")
    tmux.wait_screen("back-42")
    tmux.send("exit 5", "Enter")
    tmux.wait_screen("attach-rc-5")


def test_exec_it(engine, tmux, tmp_path):
    engine.ok("run", "-d", "--name", "ex", "busybox", "sleep", "100")
    cmd = " ".join(shlex.quote(str(a)) for a in engine.argv("exec", "-it", "ex", "/bin/sh"))
    tmux.start(f"{cmd}; echo exec-rc-$?; sleep 60")
    tmux.wait_screen("/ #")
    tmux.send("tty; ps -o pid,args | grep -c sleep; exit 4", "Enter")
    tmux.wait_screen("exec-rc-4")
    assert "/dev/pts/" in tmux.screen()


def test_custom_detach_keys(engine, tmux, tmp_path):
    cmd = " ".join(shlex.quote(str(a)) for a in engine.argv(
        "run", "-it", "--name", "dk", "--detach-keys", "ctrl-x,x", "busybox", "/bin/sh"))
    attach = " ".join(shlex.quote(str(a)) for a in engine.argv(
        "attach", "--detach-keys", "ctrl-a", "dk"))
    flag = tmp_path / "go"
    tmux.start(f"{cmd}; echo detached-$?; while [ ! -e {flag} ]; do sleep 0.1; done; "
               f"{attach}; echo attach-rc-$?; sleep 60")
    tmux.wait_screen("/ #")
    # docker's default keys are plain input now; a half sequence then another key goes through
    tmux.send("C-p", "C-q", "C-x", "e", "cho held-$((1+1))", "Enter")
    tmux.wait_screen("held-2")
    tmux.send("C-x", "x")
    tmux.wait_screen("detached-0")
    assert engine.inspect("dk")["State"]["Running"]
    flag.touch()
    tmux.send("echo again", "Enter")
    tmux.wait_screen("again")
    tmux.send("C-a")
    tmux.wait_screen("attach-rc-0")
    assert engine.inspect("dk")["State"]["Running"]
    p = engine("run", "-it", "--detach-keys", "ctrl-1", "busybox", "true")
    assert p.returncode == 125 and "Invalid detach keys (ctrl-1) provided" in p.stderr
    engine.ok("rm", "-f", "dk")
