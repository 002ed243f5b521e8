//! CloudWatch Logs. (under construction)
