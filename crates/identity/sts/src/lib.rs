//! STS: GetCallerIdentity and AssumeRole with temporary credentials kept in the store
