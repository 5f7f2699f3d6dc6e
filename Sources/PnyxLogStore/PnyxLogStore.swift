// Placeholder: PnyxLogStore is being built.
