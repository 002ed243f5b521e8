//! Parameters: declared types, defaults, constraints, NoEcho.
