"""The citizen's public pages, mounted by the node's app and by the city's alike: the
progress lookup (``/lookup``) at both, the satisfaction rating (``/rating``) at the node.

No log-in, no session and no CSRF cookie: a dossier is found by its code and the PIN printed
on form 01, and each client address is rate-limited (``rate_limit.py``). Each app hands these
pages where dossiers come from as a ``ProgressSource`` (``progress_source.py``), so this
package imports neither the node's services nor the city's store.
"""
