//! The in-memory Store backend, for tests and --in-memory
