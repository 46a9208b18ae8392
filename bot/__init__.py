"""The Telegram side of the style-transfer bot: handlers, job store and worker.

Only the worker imports the engine (and so TensorFlow); handlers stay light.
"""
