"""Quarantine: where a scan the node gave up on goes, and how staff get it back.

One module per step, each importing only the ones above it in this list:

- ``move``: the file and its ``<name>.reason.json`` moved durably into a quarantine folder.
- ``records``: the node's own record of what it quarantined (its database; the
  ``.reason.json`` files are for staff and never read back: anyone can write to a share).
- ``give_up``: the service loop's step: quarantine a file, record it, cope with a source
  that cannot be removed.
- ``retry``: the quarantine as staff see it (API and CLI): list, and put a file back.
"""
