//! Java-style methods (in progress).
