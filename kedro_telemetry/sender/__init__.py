"""The detached sender: ``python -m kedro_telemetry.sender`` (see ``__main__``).

It waits for the command that started it, takes turns at the outbox
(``serve``), drains it (``drain``) by Heap's rules (``heap``) over one HTTP
session (``http_session``). ``kedro telemetry flush`` runs the same turn in
its own process (``flush``). Only ``cli`` and this package may import it: a
Kedro command never loads the sending code nor ``requests``.
"""
