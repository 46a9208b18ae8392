"""The Telegram side of the style-transfer bot: handlers, job store and worker.

Only the worker imports the engine (and so TensorFlow); handlers stay light.
"""

import os

# python-telegram-bot 22 is moving time periods (RetryAfter.retry_after and the like) from int
# seconds to datetime.timedelta and warns on every read of the old form; opt in to the new one.
os.environ.setdefault("PTB_TIMEDELTA", "true")
