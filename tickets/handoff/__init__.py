"""The hand-off: an outbox of ticket events other systems take, delivered by `deskapp relay`."""
