"""Stand-in for geni-lib: see ../README.md."""
