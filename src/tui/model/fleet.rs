//! The fleet view's own state: which Prometheus it reads, the hosts as their last scrape went,
//! and whether Prometheus itself answered the last round.

use crate::fleet::HostState;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetStatus {
    /// Prometheus' URL as shown (no credentials).
    pub url: String,
    pub hosts: Vec<HostState>,
    /// Why the last round failed (Prometheus did not answer, refused a query), if it did.
    pub error: Option<String>,
    /// When the last round answered (unix seconds).
    pub last_round: Option<i64>,
}

impl FleetStatus {
    pub fn new(url: impl Into<String>) -> FleetStatus {
        FleetStatus {
            url: url.into(),
            ..FleetStatus::default()
        }
    }

    pub fn unreachable(&self) -> usize {
        self.hosts.iter().filter(|h| !h.up).count()
    }

    /// Nothing heard from Prometheus yet (no round, no failure).
    pub fn connecting(&self) -> bool {
        self.last_round.is_none() && self.error.is_none()
    }
}
