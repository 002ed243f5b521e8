//! Which service a request is for. (under construction)
