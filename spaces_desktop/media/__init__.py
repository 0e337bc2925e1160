"""Media processing: tracks from devices, audio levels, the active-speaker detector, frame conversion."""
