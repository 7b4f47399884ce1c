"""Run a command with a scratch /dev, and report what it changed there.

Run as `unshare -m --propagation private python3 scratch_dev.py CMD...`: in that private
mount namespace a tmpfs goes over /dev with copies of the usual nodes and links, so a command
that writes through "/dev" (a container config that binds the host's /dev) can only reach the
copies. Prints one JSON object: the command's rc, stdout and stderr, and lstat of every entry
of the scratch /dev before and after."""
import json
import os
import stat
import subprocess
import sys

NODES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
         "urandom": (1, 9), "tty": (5, 0), "ptmx": (5, 2), "kmsg": (1, 11)}
LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
         "stderr": "/proc/self/fd/2"}


def populate():
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "scratchdev", "/dev"], check=True)
    for name, (major, minor) in NODES.items():
        os.mknod("/dev/" + name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        os.chmod("/dev/" + name, 0o666)
    for name, target in LINKS.items():
        os.symlink(target, "/dev/" + name)
    for d in ("pts", "shm", "net"):
        os.mkdir("/dev/" + d)


def snapshot():
    out = {}
    for dirpath, dirs, files in os.walk("/dev"):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[p] = [st.st_mode, st.st_uid, st.st_gid, st.st_rdev, st.st_ino, st.st_size,
                      os.readlink(p) if stat.S_ISLNK(st.st_mode) else None]
    return out


def main():
    populate()
    before = snapshot()
    p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
    after = snapshot()
    json.dump({"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr,
               "before": before, "after": after}, sys.stdout)


if __name__ == "__main__":
    main()
