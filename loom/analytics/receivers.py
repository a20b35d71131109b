"""Product events from the other apps' writes (filled in by the events work)."""
