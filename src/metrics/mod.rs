//! The Prometheus exposition of the engine's figures (`metrics`, `status --openmetrics`).
//!
//! A [`Snapshot`] is what the engine knows at one moment (every backend's stats, its own poll
//! tallies, the active alerts), read from memory; [`render`] turns it into text: OpenMetrics
//! (prometheus-client, through a collector of const samples) or the classic text format
//! (converted from it, `classic`). The families, their names and labels are in `families`:
//! `ipfs_kit_*`, a contract with the fleet view, the shipped rules and dashboard.
//!
//! An unknown figure is an absent series, never 0. Labels carry backend ids, kinds and words of
//! our own; never a URL, a host name or a secret.

pub mod classic;
mod collector;
pub mod families;
pub mod http;
pub mod textfile;

use std::collections::{BTreeMap, BTreeSet};

pub use families::{series_names, Family};

use crate::api::Api;
use crate::monitor::tally::PollTally;
use crate::stats::BackendStats;

/// What the engine knows at one moment, as the exposition needs it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Every configured backend's stats.
    pub backends: Vec<BackendStats>,
    /// This process's polls, by backend (a backend missing here was not polled).
    pub tallies: BTreeMap<String, PollTally>,
    /// `(backend, rule)` of every active alert.
    pub active_alerts: BTreeSet<(String, String)>,
}

impl Snapshot {
    /// The api's view now. With a running monitor everything comes from its memory (no disk,
    /// no network): this is what each scrape reads.
    pub fn of_api(api: &Api) -> Snapshot {
        let backends = api.all_stats();
        match api.poll_tallies() {
            Some(tallies) => Snapshot {
                backends,
                tallies: tallies.into_iter().collect(),
                active_alerts: api
                    .active_alerts()
                    .into_iter()
                    .map(|alert| (alert.backend, alert.rule.as_str().to_string()))
                    .collect(),
            },
            None => Snapshot::of_stats(backends, BTreeMap::new()),
        }
    }

    /// Stats that carry their own active alerts (one `status` round), with the round's polls.
    pub fn of_stats(backends: Vec<BackendStats>, tallies: BTreeMap<String, PollTally>) -> Snapshot {
        let active_alerts = backends
            .iter()
            .flat_map(|b| b.alerts.iter().map(|a| (b.id.clone(), a.rule.clone())))
            .collect();
        Snapshot {
            backends,
            tallies,
            active_alerts,
        }
    }
}

/// The two text formats a scrape can get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0.0 text, `# EOF` last (what Prometheus asks for).
    OpenMetrics,
    /// The classic Prometheus text format 0.0.4 (anyone else, node_exporter's textfile).
    Classic,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Classic => "text/plain; version=0.0.4; charset=utf-8",
        }
    }

    /// The format an `Accept` header asks for: OpenMetrics when it accepts
    /// `application/openmetrics-text` at least as much as anything else it names; the classic
    /// format otherwise (no header, `*/*`, `text/plain`, ...).
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Classic;
        };
        let mut openmetrics = 0.0_f64;
        let mut other = 0.0_f64;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f64>().ok())
                .unwrap_or(1.0);
            if media == "application/openmetrics-text" {
                openmetrics = openmetrics.max(q);
            } else if !media.is_empty() {
                other = other.max(q);
            }
        }
        if openmetrics > 0.0 && openmetrics >= other {
            Format::OpenMetrics
        } else {
            Format::Classic
        }
    }
}

/// The exposition could not be written (a value the encoder refuses).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the metrics")]
pub struct EncodeError;

/// The exposition of a snapshot in a format.
pub fn render(snapshot: &Snapshot, format: Format) -> Result<String, EncodeError> {
    let openmetrics = collector::openmetrics(families::build(snapshot)).map_err(|_| EncodeError)?;
    Ok(match format {
        Format::OpenMetrics => openmetrics,
        Format::Classic => classic::from_openmetrics(&openmetrics),
    })
}

#[cfg(test)]
mod tests;
