"""Exports (E-1..E-3): the records and their format (records, schema.json), running an export
with its audit (run), and the SQLite fast path that writes the same bytes (sql). Import the
module you need; nothing is loaded here."""
