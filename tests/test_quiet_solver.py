"""What a solver library writes from C to fd 1 or fd 2 never reaches the user's streams."""

import os

from optimizer.core.compile import quiet_solver


def test_c_level_writes_are_silenced_and_streams_restored(capfd):
    with quiet_solver():
        os.write(1, b"scip log line\n")
        os.write(2, b"Cannot set feasibility tolerance to small value 1e-12 without GMP\n")
    os.write(1, b"after-out\n")
    os.write(2, b"after-err\n")
    out, err = capfd.readouterr()
    assert out == "after-out\n"
    assert err == "after-err\n"
