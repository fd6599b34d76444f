"""PostgreSQL functions the application role writes through (migration 0011 on): SQL text,
frozen per revision (a migration must not change when the code does: a later change is a new
module and a new revision)."""
