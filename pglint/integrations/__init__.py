"""Framework hooks for the runtime audit.  Each module imports its framework lazily."""
