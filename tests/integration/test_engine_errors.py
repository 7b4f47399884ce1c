"""Bad input gets a clear, docker-like message and exit status 125 (run/create's own errors
and bad flags; 1, docker's, for another command whose operation failed); a program that cannot
run gets 126/127; nothing is left behind by a failed run."""
import pytest


def assert_fails(p, code, *texts):
    assert p.returncode == code, (p.returncode, p.stderr)
    for t in texts:
        assert t in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""


@pytest.mark.parametrize("args,texts", [
    (["run", "--nope", "busybox"], ["unknown flag: --nope", "See 'hako run --help'."]),
    (["run", "-Z", "busybox"], ["unknown shorthand flag: 'Z' in -Z"]),
    (["run", "-m", "lots", "busybox"],
     ['invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'']),
    (["run", "-m", "1m", "busybox"], ["Minimum memory limit allowed is 6MB"]),
    (["run", "--memory-swap", "1g", "busybox"], ["always set the Memory limit"]),
    (["run", "--cpus", "two", "busybox"], ['invalid argument "two" for "--cpus" flag']),
    (["run", "--restart", "sometimes", "busybox"], ["invalid restart policy"]),
    (["run", "--ulimit", "nofiles=1", "busybox"], ["invalid ulimit type: nofiles"]),
    (["run", "--stop-signal", "SIGNOPE", "busybox"], ["invalid signal: SIGNOPE"]),
    (["run", "--network", "bridge0", "busybox"], ["network bridge0 not found"]),
    (["run", "-v", "./relative:/x", "busybox"], ["includes invalid characters for a local "
                                                 "volume name"]),
    (["run", "--mount", "type=bind,src=/nonexistent-hako-src,dst=/x", "busybox", "true"],
     ["bind source path does not exist: /nonexistent-hako-src"]),
    (["run", "--security-opt", "seccomp=/nonexistent.json", "busybox", "true"],
     ["/nonexistent.json"]),
    (["run"], ['"hako run" requires at least 1 argument.']),
    (["run", "127.0.0.1:9/nope"], ["Unable to find image '127.0.0.1:9/nope' locally"]),
    (["run", "--entrypoint", "", "busybox"], ["No command specified"]),
    (["kill", "-s", "NOPE", "x"], ["invalid signal: NOPE"]),
    (["nosuchcommand"], ["'nosuchcommand' is not a hako command"]),
])
def test_bad_input_is_125(engine, args, texts):
    p = engine(*args)
    assert p.returncode == 125, (p.returncode, p.stderr)
    for t in texts:
        assert t in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    # a failed run leaves no container, mount or process (the leak fixture checks the rest)
    assert engine.ok("ps", "-aq").stdout == ""


@pytest.mark.parametrize("args,texts", [
    (["start", "nosuch"], ["No such container: nosuch"]),
    (["stop", "nosuch"], ["No such container: nosuch"]),
    (["rm", "nosuch"], ["No such container: nosuch"]),
    (["logs", "nosuch"], ["No such container: nosuch"]),
    (["inspect", "nosuch"], ["No such object: nosuch"]),
    (["exec", "nosuch", "true"], ["No such container: nosuch"]),
    (["ps", "--filter", "status"], ["bad format of filter"]),
])
def test_failing_command_is_1(engine, args, texts):
    """docker's status for a command other than run/create whose operation failed."""
    p = engine(*args)
    assert p.returncode == 1, (p.returncode, p.stderr)
    for t in texts:
        assert t in p.stderr, p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_name_in_use(engine):
    engine.ok("create", "--name", "taken", "busybox")
    assert_fails(engine("run", "--name", "taken", "busybox", "true"), 125,
                 'Conflict. The container name "/taken" is already in use by container')
    assert_fails(engine("create", "--name", "bad name", "busybox"), 125,
                 "Invalid container name (bad name)")


def test_program_not_found_or_not_executable(engine):
    p = engine("run", "--name", "nf", "busybox", "nosuchprogram")
    assert_fails(p, 127, 'exec: "nosuchprogram": executable file not found in $PATH')
    st = engine.inspect("nf")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 127 and "nosuchprogram" in st["Error"]
    assert_fails(engine("run", "--rm", "busybox", "/etc/passwd"), 126, "permission denied")
    assert engine.ok("ps", "-aq").stdout.count("\n") == 1  # --rm removed its container


def test_ambiguous_prefix_and_stopped_container_errors(engine):
    ids = [engine.ok("create", "busybox").stdout.strip() for _ in range(20)]
    firsts = {}
    for i in ids:
        firsts.setdefault(i[0], []).append(i)
    shared = next(k for k, v in firsts.items() if len(v) > 1)
    p = engine("inspect", shared)
    assert p.returncode == 1 and "multiple containers found with provided prefix" in p.stderr
    assert_fails(engine("attach", ids[0]), 1, "You cannot attach to a stopped container")
    assert_fails(engine("exec", ids[0], "true"), 1, "is not running")
    assert_fails(engine("kill", ids[0]), 1, "is not running")
    assert_fails(engine("pause", ids[0]), 1, "is not running")


def test_arguments_that_are_not_utf8(engine):
    # "\udcff" is how Python spells the byte 0xff of a command line (surrogateescape)
    for args in (["run", "--rm", "-e", "A=\udcff", "busybox", "true"],
                 ["run", "--rm", "busybox", "echo", "caf\udce9"],
                 ["create", "-w", "/\udcff", "busybox"]):
        assert_fails(engine(*args), 125, "is not valid UTF-8")
    assert engine.ok("ps", "-aq").stdout == ""
    assert engine.ok("run", "--rm", "busybox", "echo", "café").stdout == "café\n"
