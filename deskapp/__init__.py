"""deskapp: a terminal console for subscription-cancellation calls."""
