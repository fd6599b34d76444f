"""The hand-off: an outbox of ticket events other systems and people take, delivered by
`deskapp relay` (webhooks, and e-mail to callers)."""
