"""circularity: the web app and command line of the park's material flows."""
