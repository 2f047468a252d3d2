"""The edge node: durable dossier store, one-stop domain rules, API and CLI."""
