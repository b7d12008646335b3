"""One router per resource: the service itself, avatars, generation."""
