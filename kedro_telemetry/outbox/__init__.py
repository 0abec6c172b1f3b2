"""The disk queue between the two processes.

A command queues its finished event here and wakes a sender (``wake``); the
detached sender reads it back. In it: the store of queued events (``store``),
what became of the events lately (``delivery_log``), the lock that lets one
sender work at a time (``lock``), and whether a started process can outlive
the command (``containers``). Nothing here sends anything.
"""
