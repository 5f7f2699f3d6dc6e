// Placeholder: PnyxPostgres is being built.
