"""hako-runtime behaves as runc and crun do where users can tell (issue 14's Behaviour list)."""
import json
import os

import pytest

from conftest import RUNTIME, run


def test_loopback_is_up_in_a_new_network_namespace(rt, bundle):
    bundle.sh("cat /sys/class/net/lo/flags")
    p = rt.run("lo", bundle)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout, 16) & 0x1                      # IFF_UP
