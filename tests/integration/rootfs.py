"""A busybox root filesystem from Debian's busybox-static, for tests and benchmarks.

    /usr/bin/python3 tests/integration/rootfs.py DEST     # makes DEST as a rootfs
"""
import shutil
import subprocess
import sys
from pathlib import Path

BUSYBOX = Path("/bin/busybox")


def make_busybox_rootfs(dest: Path):
    """A minimal root filesystem: the static busybox, its applet links, passwd and group."""
    dest = Path(dest)
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
              "home", "var", "run"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin/busybox")
    applets = subprocess.run([str(BUSYBOX), "--list-full"], text=True, capture_output=True,
                             check=True).stdout.split()
    for a in applets:
        link = dest / a
        if link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    (dest / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (dest / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    (dest / "tmp").chmod(0o1777)
    return dest


if __name__ == "__main__":
    make_busybox_rootfs(Path(sys.argv[1]))
