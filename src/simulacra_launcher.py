"""The ``simulacra`` command's entry point, kept outside the package on purpose.

Importing :mod:`simulacra` takes about a second; Ctrl-C (or SIGTERM) in that second would end
in a ``KeyboardInterrupt`` traceback. This module imports nothing heavy, so it can stop a
start-up with one line and the shell's status (130, 143) before handing over to
:func:`simulacra.cli.main`, which then stops the command itself as cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _stop_early(signum: int, frame: FrameType | None) -> None:
    what = "interrupted (Ctrl-C)" if signum == signal.SIGINT else "terminated (SIGTERM)"
    sys.stderr.write(f"stopped: {what}\n")
    sys.stderr.flush()
    # nothing is written yet, so nothing to clean up; and an exception could be swallowed by
    # an imported library's bare ``except:`` around an optional import (the command then ran
    # on and exited 0 after saying it stopped), so the process ends here
    os._exit(128 + signum)


def main() -> None:
    """Console-script entry point: :func:`simulacra.cli.main`, stoppable while it loads."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # ignored (nohup, `&`): stays so
            signal.signal(signum, _stop_early)
    from simulacra.cli import main as run

    run()


if __name__ == "__main__":
    main()
