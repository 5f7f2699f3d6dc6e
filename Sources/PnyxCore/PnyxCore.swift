// Placeholder: PnyxCore is being built.
