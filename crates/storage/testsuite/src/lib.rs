//! One conformance suite for every Store backend
