//! Operation logic, by family: who is calling ([`identity`]) and issuing temporary
//! credentials ([`credentials`]).

pub mod credentials;
pub mod identity;

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    (lamina_core::now_epoch_millis() / 1000) as i64
}
