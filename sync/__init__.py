"""Replication between a commune node and the city data centre over MQTT."""
