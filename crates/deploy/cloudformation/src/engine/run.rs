//! Running stack operations (create, update, delete, rollback) in the background.
