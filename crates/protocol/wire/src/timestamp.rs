//! Timestamp formats of the AWS protocols: epoch seconds, ISO 8601, RFC 822. (under construction)
