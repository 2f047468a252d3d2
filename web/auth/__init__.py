"""Access control of the node's HTTP door: who is calling (session cookie or API token),
CSRF on every change a cookie makes, the log-in and log-out pages, the accounts page."""
