//! The storage conformance suite against the redb backend, each test in its own temp dir.

lamina_storage_testsuite::store_conformance!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = lamina_storage_redb::RedbStore::open(dir.path()).expect("open redb");
    (store, dir)
});
