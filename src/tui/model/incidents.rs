//! The selected backend's availability report (every incident with its reason), as read for
//! the detail: read once when a backend is selected, again when its summary says something
//! changed (an incident began or ended) and at most once a minute otherwise while it is shown.

use crate::stats::availability::{AvailabilityReport, AvailabilitySummary};

/// Read again at least this often while the detail shows the same backend.
const REREAD_SECS: i64 = 60;

#[derive(Clone, Debug, Default)]
pub struct IncidentList {
    /// The report read last, and the backend it is of.
    report: Option<AvailabilityReport>,
    /// The backend asked for, when, and the summary its stats carried then.
    asked: Option<(String, i64, AvailabilitySummary)>,
}

impl IncidentList {
    /// Whether to read `id`'s report now (`summary`: what its stats carry now; without one
    /// no poll of 30 days counted, and there is nothing to list).
    pub fn wanted(
        &mut self,
        id: &str,
        summary: Option<&AvailabilitySummary>,
        now: i64,
    ) -> Option<String> {
        let summary = summary?;
        let stale = match &self.asked {
            Some((asked, at, seen)) => {
                asked != id
                    || now - at >= REREAD_SECS
                    || (seen.incidents_30d, &seen.down_since)
                        != (summary.incidents_30d, &summary.down_since)
            }
            None => true,
        };
        if !stale {
            return None;
        }
        self.asked = Some((id.to_string(), now, summary.clone()));
        Some(id.to_string())
    }

    /// A report read (`None`: it could not be read); kept only if it is of the backend asked
    /// for last. Returns whether what is shown changed.
    pub fn loaded(&mut self, id: &str, report: Option<AvailabilityReport>) -> bool {
        if self.asked.as_ref().is_none_or(|(asked, _, _)| asked != id) {
            return false;
        }
        let changed = self.report != report;
        self.report = report;
        changed
    }

    /// The report of `id`, if the one held is.
    pub fn of(&self, id: &str) -> Option<&AvailabilityReport> {
        self.report.as_ref().filter(|r| r.backend == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str) -> AvailabilityReport {
        AvailabilityReport {
            backend: id.into(),
            at: "2026-12-07T10:00:00+00:00".into(),
            up_24h: Some(99.0),
            up_7d: None,
            up_30d: None,
            mttr_secs: None,
            incidents: Vec::new(),
        }
    }

    #[test]
    fn read_once_per_selection_again_when_the_summary_moves_or_a_minute_passed() {
        let mut list = IncidentList::default();
        let mut summary = AvailabilitySummary::default();
        assert_eq!(list.wanted("a", Some(&summary), 0), Some("a".into()));
        assert_eq!(list.wanted("a", Some(&summary), 10), None);
        assert!(list.loaded("a", Some(report("a"))));
        assert!(list.of("a").is_some() && list.of("b").is_none());
        summary.incidents_30d = 1;
        assert_eq!(list.wanted("a", Some(&summary), 20), Some("a".into()));
        assert_eq!(list.wanted("a", Some(&summary), 79), None);
        assert_eq!(list.wanted("a", Some(&summary), 80), Some("a".into()));
        assert_eq!(
            list.wanted("b", None, 81),
            None,
            "no summary: nothing to list"
        );
        assert_eq!(list.wanted("b", Some(&summary), 81), Some("b".into()));
        // A late answer for the backend selected before is dropped.
        assert!(!list.loaded("a", Some(report("a"))));
        assert!(list.of("a").is_some(), "until b's report arrives");
        assert!(list.loaded("b", None));
        assert!(list.of("a").is_none());
    }
}
