// Placeholder: PnyxAudit is being built.
