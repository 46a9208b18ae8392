"""The job side: a request, once accepted, until its result is in the person's chat.

store/ keeps every job in SQLite; dispatcher.py (the Dispatcher) queues them and hands each to a
free runner (the seam: runner.py); execution.py runs one (in_process.py in this process,
remote.py on nst-worker machines through channel.py; fast_service.py makes contact sheets and
clips in both); status.py keeps its status message; delivery.py sends the result through
messenger.py; recovery.py settles what a restart finds. Nothing here imports the chat side
(bot/chat); what the job side says comes from the shared catalog, bot/texts.py.
"""
