//! Control-plane tests against the in-memory store.
