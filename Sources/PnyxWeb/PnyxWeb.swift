// Placeholder: PnyxWeb is being built.
