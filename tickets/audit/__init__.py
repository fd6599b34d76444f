"""A-1, the audit trail: the hash chain (chain), the bytes each hash covers (format), reading
the trail (log), and `deskapp audit verify` (verify, with history: each ticket's row against its
events). Import the module you need; nothing is loaded here."""
