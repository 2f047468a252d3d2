"""The city data centre: receives every commune node's events and files over MQTT, keeps
them in a store (SQLite or PostgreSQL), projects dossiers with the node's own code, and
sends the city's events back down to the owning node."""
