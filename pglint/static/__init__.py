"""The static pass: libcst, one parse per file, never imports or runs the code it reads."""
