"""Live streaming: speech in as it arrives, avatar frames out at a steady 30 fps."""
