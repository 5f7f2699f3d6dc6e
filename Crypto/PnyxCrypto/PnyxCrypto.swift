// Placeholder: PnyxCrypto is being built.
