//! The one listener: request id, authentication, service detection, dispatch, admin routes
