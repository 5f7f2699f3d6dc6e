// Placeholder: PnyxBroker is being built.
