//! The node as an HTTP client of other nodes (replication, witnessing, status lists) and of the
//! `verify` command: one configuration, status codes returned rather than turned into errors,
//! every request bounded in time.

use std::time::Duration;

/// An HTTP agent whose requests give up after `timeout`. Cheap to clone; reuse it to keep
/// connections to peers open.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}
