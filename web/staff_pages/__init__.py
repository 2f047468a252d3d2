"""The commune office's pages, served by the node: what staff see and press. Each controller
reads through a node service, renders a template from ``templates/``, and never writes SQL."""
