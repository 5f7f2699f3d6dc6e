// Placeholder: PnyxTransparency is being built.
