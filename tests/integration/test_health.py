"""Healthchecks without a daemon: the container's monitor runs the image's HEALTHCHECK or run's
--health-* check through the runtime's exec on its interval and records State.Health (status,
failing streak, the last 5 results), `health_status: ...` events, `ps` shows `(healthy)`.
Every wait polls inspect with a timeout."""
import json

from conftest import run, wait_for


def health(engine, name):
    return engine.inspect(name)["State"].get("Health")


def wait_status(engine, name, status, timeout=20):
    return wait_for(lambda: (h := health(engine, name)) and h["Status"] == status and h,
                    timeout=timeout, what=f"{name} {status}")


def events(engine, name):
    path = engine.root / "events.log"
    out = []
    for line in path.read_text().splitlines():
        ev = json.loads(line)
        if ev["Actor"]["Attributes"].get("name") == name:
            out.append(ev)
    return out


def test_a_passing_check_becomes_healthy(engine):
    # a success counts at once, even in the start period
    engine.ok("run", "-d", "--name", "web", "--health-cmd", "cat /tmp/ready",
              "--health-interval", "100ms", "--health-start-period", "60s",
              "--health-start-interval", "100ms", "busybox", "sh", "-c",
              "sleep 0.3; echo up > /tmp/ready; sleep 60")
    h = health(engine, "web")
    assert h["Status"] in ("starting", "healthy") and h["FailingStreak"] == 0
    h = wait_status(engine, "web", "healthy")
    assert h["FailingStreak"] == 0
    last = h["Log"][-1]
    assert last["ExitCode"] == 0 and last["Output"] == "up\n"
    assert last["Start"] <= last["End"]
    ps = engine.ok("ps", "--format", "{{.Names}} {{.Status}}").stdout
    assert ps.startswith("web Up ") and ps.rstrip().endswith("(healthy)")
    assert engine.ok("ps", "-q", "--filter", "health=healthy").stdout.strip()
    assert not engine.ok("ps", "-q", "--filter", "health=unhealthy").stdout.strip()
    assert not engine.ok("ps", "-q", "--filter", "health=none").stdout.strip()
    cfg = engine.inspect("web")["Config"]["Healthcheck"]
    assert cfg == {"Test": ["CMD-SHELL", "cat /tmp/ready"], "Interval": 100_000_000,
                   "StartPeriod": 60_000_000_000, "StartInterval": 100_000_000}
    assert "health_status: healthy" in [e["Action"] for e in events(engine, "web")]
    # a stopped container's check says unhealthy (docker's), a new start begins again
    engine.ok("stop", "-t", "0", "web")
    assert health(engine, "web")["Status"] == "unhealthy"
    engine.ok("start", "web")
    wait_status(engine, "web", "healthy")


def test_a_failing_check_is_unhealthy_after_the_retries(engine):
    engine.ok("run", "-d", "--name", "bad", "--health-cmd", "echo nope; exit 1",
              "--health-interval", "100ms", "--health-retries", "3", "busybox", "sleep", "60")
    engine.ok("run", "-d", "--name", "plain", "busybox", "sleep", "60")
    h = wait_status(engine, "bad", "unhealthy")
    assert h["FailingStreak"] >= 3
    assert all(r["ExitCode"] == 1 and r["Output"] == "nope\n" for r in h["Log"])
    actions = [e["Action"] for e in events(engine, "bad")]
    assert actions.count("health_status: unhealthy") == 1
    assert "health_status: healthy" not in actions
    # only the last 5 results are kept
    h = wait_for(lambda: (x := health(engine, "bad"))["FailingStreak"] >= 7 and x,
                 timeout=20, what="7 failures")
    assert len(h["Log"]) == 5
    assert "(unhealthy)" in engine.ok("ps", "--filter", "name=bad").stdout
    assert engine.ok("ps", "--format", "{{.Names}}", "--filter",
                     "health=unhealthy").stdout.split() == ["bad"]
    assert engine.ok("ps", "--format", "{{.Names}}", "--filter",
                     "health=none").stdout.split() == ["plain"]
    assert "Health" not in engine.inspect("plain")["State"]


def test_the_start_period_is_honoured(engine):
    engine.ok("run", "-d", "--name", "slow", "--health-cmd", "exit 1", "--health-retries", "1",
              "--health-interval", "100ms", "--health-start-period", "8s",
              "--health-start-interval", "100ms", "busybox", "sleep", "60")
    # failures inside the start period are logged but not counted (2 probes at 100ms take
    # well under the 8s; with retries 1 a counted one would make it unhealthy at once)
    h = wait_for(lambda: len((x := health(engine, "slow"))["Log"]) >= 2 and x, timeout=8,
                 what="2 probes")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    assert all(r["ExitCode"] == 1 for r in h["Log"])
    h = wait_status(engine, "slow", "unhealthy")
    assert h["FailingStreak"] >= 1
    st = engine.inspect("slow")["State"]
    [ev] = [e for e in events(engine, "slow") if e["Action"] == "health_status: unhealthy"]
    t0 = float(run(["date", "-d", st["StartedAt"], "+%s.%N"], check=True).stdout)
    assert ev["timeNano"] / 1e9 - t0 >= 8.0


def test_a_check_past_its_timeout_is_killed(engine):
    engine.ok("run", "-d", "--name", "hang", "--health-cmd", "sleep 30",
              "--health-timeout", "200ms", "--health-interval", "100ms", "--health-retries", "1",
              "busybox", "sleep", "60")
    h = wait_status(engine, "hang", "unhealthy")
    r = h["Log"][0]
    assert r["ExitCode"] == -1 and r["Output"] == "Health check exceeded timeout (200ms)"
    # each probe's sleep is killed: after 3 of them, at most the current one runs
    wait_for(lambda: health(engine, "hang")["FailingStreak"] >= 3, timeout=20, what="3 probes")
    top = engine.ok("top", "hang").stdout
    assert top.count("sleep 30") <= 1, top


def test_the_images_healthcheck_and_no_healthcheck(engine, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\n"
        "HEALTHCHECK --interval=100ms --retries=1 CMD [\"sh\", \"-c\", \"echo from-image\"]\n")
    engine.ok("build", "-t", "hc", str(ctx))
    engine.ok("run", "-d", "--name", "img", "hc", "sleep", "60")
    h = wait_status(engine, "img", "healthy")
    assert h["Log"][-1]["Output"] == "from-image\n"
    # a flag overrides one field, the image's test stays
    engine.ok("run", "-d", "--name", "over", "--health-retries", "5", "hc", "sleep", "60")
    cfg = engine.inspect("over")["Config"]["Healthcheck"]
    assert cfg["Test"] == ["CMD", "sh", "-c", "echo from-image"] and cfg["Retries"] == 5
    assert cfg["Interval"] == 100_000_000
    engine.ok("run", "-d", "--name", "off", "--no-healthcheck", "hc", "sleep", "60")
    assert engine.inspect("off")["Config"]["Healthcheck"]["Test"] == ["NONE"]
    assert "Health" not in engine.inspect("off")["State"]
    assert "(health" not in engine.ok("ps", "--filter", "name=off").stdout


def test_bad_health_flags(engine):
    cases = [
        (["--no-healthcheck", "--health-cmd", "true"],
         "--no-healthcheck conflicts with --health-* options"),
        (["--health-interval", "1"],
         'invalid argument "1" for "--health-interval" flag: time: missing unit in duration "1"'),
        (["--health-timeout", "soon"],
         'invalid argument "soon" for "--health-timeout" flag: time: invalid duration "soon"'),
        (["--health-retries", "x"],
         'invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": '
         "invalid syntax"),
        (["--health-start-period", "-1s"], "--health-start-period cannot be negative"),
        (["--health-interval", "0.5ms"], "Interval in Healthcheck cannot be less than 1ms"),
    ]
    for flags, msg in cases:
        p = engine("run", "--rm", *flags, "busybox", "true")
        assert p.returncode == 125, (flags, p.stderr)
        assert msg in p.stderr, (flags, p.stderr)
    assert engine.ok("ps", "-aq").stdout == ""
