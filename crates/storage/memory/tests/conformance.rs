//! The storage conformance suite against the in-memory backend.

lamina_storage_testsuite::store_conformance!(async { lamina_storage_memory::MemoryStore::new() });
