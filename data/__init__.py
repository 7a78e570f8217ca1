"""Small data files authored by the project (speed profiles...), installed as ``accessibilite.profiles``."""
