"""Stand-in for geni.rspec."""
