//! Values (in progress).
