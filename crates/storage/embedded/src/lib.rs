//! The embedded Store backend on redb: fsync on commit, survives kill -9
