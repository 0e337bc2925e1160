"""Small reusable widgets: the switch, the level meter, the camera preview."""
