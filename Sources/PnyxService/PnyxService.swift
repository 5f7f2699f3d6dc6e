// Placeholder: PnyxService is being built.
