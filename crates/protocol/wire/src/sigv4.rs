//! SigV4: reading the credential scope, and verifying signatures. (under construction)
