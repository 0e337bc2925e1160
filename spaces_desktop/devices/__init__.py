"""Cameras, microphones and speakers; the only package that imports cv2 or sounddevice."""
