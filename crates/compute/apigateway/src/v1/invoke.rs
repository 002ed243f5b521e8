//! The v1 data plane (under construction).
