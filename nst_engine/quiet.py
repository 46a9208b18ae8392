"""Native libraries' start-up notices kept out of the bot's log.

TensorFlow's and LiteRT's C++ cores write some lines straight to file descriptor 2 before any
logging is set up ("Could not find cuda drivers", "This TensorFlow binary is optimized...",
"Created TensorFlow Lite XNNPACK delegate"); TF_CPP_MIN_LOG_LEVEL does not reach them. While a
library loads, the descriptor itself is pointed at a temporary file, and what is not one of those
notices is written back afterwards, so a real error still shows.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

# Beginnings of the lines that say nothing an operator can act on.
TENSORFLOW_NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "To enable the following instructions:",
)
# Parts of glog-style lines ("I0000 00:00:... file.cc:31] ...") from the same start-up.
TENSORFLOW_SOURCES = ("cudart_stub.cc", "cpu_feature_guard.cc", "port.cc", "cuda_")
LITERT_NOTICES = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)


def is_notice(line: str) -> bool:
    """Whether a line on stderr is one of the known start-up notices."""
    if line.startswith(TENSORFLOW_NOTICES + LITERT_NOTICES):
        return True
    glog = line[:1] in "IW" and line[1:5].isdigit()
    return glog and any(source in line for source in TENSORFLOW_SOURCES)


@contextlib.contextmanager
def without_notices() -> Iterator[None]:
    """Drop the known notices from what the body writes to stderr; pass on everything else."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not is_notice(line)))
