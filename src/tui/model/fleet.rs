//! The fleet view's own state: which Prometheus it reads, the hosts as their last scrape went,
//! and whether Prometheus itself answered the last round.

use super::Level;
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

    /// A round that answered: the hosts as scraped at `at`. Returns what the message log says
    /// about it: Prometheus answering again, and each host that stopped (or started) answering,
    /// said once.
    pub fn round(&mut self, hosts: Vec<HostState>, at: i64) -> Vec<(Level, String)> {
        let mut said = Vec::new();
        if self.error.take().is_some() {
            said.push((Level::Info, format!("Prometheus at {} answers", self.url)));
        }
        for host in &hosts {
            let before = self.hosts.iter().find(|h| h.instance == host.instance);
            match (before.map(|h| h.up), host.up) {
                (Some(true) | None, false) => said.push((
                    Level::Error,
                    format!(
                        "host {} unreachable: {}",
                        host.instance,
                        host.reason.as_deref().unwrap_or("no reason given")
                    ),
                )),
                (Some(false), true) => {
                    said.push((Level::Info, format!("host {} answers again", host.instance)))
                }
                _ => {}
            }
        }
        self.hosts = hosts;
        self.last_round = Some(at);
        said
    }

    /// A round that failed: Prometheus did not answer (or refused). Returns the reason when it
    /// is new, for the message log (a failure that goes on is said once).
    pub fn failed(&mut self, reason: String) -> Option<String> {
        if self.error.as_deref() == Some(reason.as_str()) {
            return None;
        }
        self.error = Some(reason.clone());
        Some(reason)
    }
}
