"""The database: engine and sessions (database), the ORM tables (models, types), raw SQL on the
driver's connection (rawsql; the hot paths' prebuilt statements in filing_sql and
verification_sql; reading tickets by page in queries), the schema and its Alembic migrations
(schema, migrations/), PostgreSQL roles (roles) and the change feed live screens wait on
(changes). Import the module you need; nothing is loaded here."""
