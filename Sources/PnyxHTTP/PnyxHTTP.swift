// Placeholder: PnyxHTTP is being built.
