"""The Telegram side of the style-transfer bot: its chat side (bot/chat) and job side (bot/jobs).

Only the job side's runners import the engine (and so TensorFlow); handlers stay light.
docs/architecture.md has the map.
"""

import os

import pillow_heif

# python-telegram-bot 22 is moving time periods (RetryAfter.retry_after and the like) from int
# seconds to datetime.timedelta and warns on every read of the old form; opt in to the new one.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# iPhones (and some Android cameras) save HEIC/HEIF: pillow-heif teaches Pillow to read them, in
# the bot and in nst-worker alike, with the picture's rotation applied as it is read. (AVIF is
# Pillow's own.)
pillow_heif.register_heif_opener()
