//! How available a backend was: the share of its polls whose liveness call answered over the
//! last 24 hours, 7 days and 30 days, its incidents (down episodes) and the mean time to
//! recover from them.
//!
//! An incident is a run of failed polls that reached the engine's down threshold
//! (`RETRY_BUDGET` consecutive failed polls: a shorter run is a blip, which lowers the share
//! but is no incident), from its first failed poll to the first answered poll after it, or
//! ongoing. Time without polls (the engine was not running) is neither up nor down: the shares
//! count polls, and a gap does not end a run (no poll answered in it). Older than
//! `history_hours` the history is in 10-minute buckets that only count their polls: a bucket
//! whose polls all failed continues or starts a run, one with both answered and failed polls
//! bounds it, and times read from buckets are marked approximate. Pure: points in, figures out;
//! `AvailabilityTally` is the same rule kept incrementally by the engine in a few kilobytes a
//! backend.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::monitor::history::{Point, PollCounts, COARSE_BUCKET_SECS};
use crate::monitor::schedule::RETRY_BUDGET;

pub const DAY_SECS: u64 = 86_400;
/// The three windows availability is given over.
pub const WINDOWS_SECS: [u64; 3] = [DAY_SECS, 7 * DAY_SECS, 30 * DAY_SECS];
/// Closed incidents the engine's tally remembers (for `incidents_30d` and MTTR).
const TALLY_INCIDENTS: usize = 256;
const HOUR_SECS: u64 = 3_600;
/// Hours of counts the tally keeps: 30 days.
const TALLY_HOURS: usize = 30 * 24;

/// One down episode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// Unix seconds of its first failed poll (or an estimate inside a bucket).
    pub start: u64,
    /// Unix seconds of the first answered poll after it; `None` while ongoing.
    pub end: Option<u64>,
    /// The failed polls it held (as far as the buckets tell).
    pub failed_polls: u64,
    /// Its start or end was read from a 10-minute bucket: known only to within the bucket.
    pub approximate: bool,
    /// Why it was down (the `down` alert's message, else the health message of an ongoing
    /// one); `None` when unknown.
    pub reason: Option<String>,
}

impl Incident {
    /// How long it lasted, or has lasted until `now`.
    pub fn duration_secs(&self, now: u64) -> u64 {
        self.end.unwrap_or(now).max(self.start) - self.start
    }
}

/// A run of failed polls not yet ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: u64,
    failed: u64,
    /// Points of the run all of whose polls failed: failures read from one partial bucket
    /// alone may not have been consecutive, and make no incident.
    whole_points: u32,
    approximate: bool,
}

impl Run {
    fn is_incident(&self) -> bool {
        self.failed >= u64::from(RETRY_BUDGET) && self.whole_points > 0
    }

    fn close(self, end: Option<u64>, approximate_end: bool) -> Incident {
        Incident {
            start: self.start,
            end,
            failed_polls: self.failed,
            approximate: self.approximate || approximate_end,
            reason: None,
        }
    }
}

/// Finds incidents in points fed in time order.
#[derive(Clone, Debug, Default)]
pub struct IncidentTracker {
    run: Option<Run>,
}

impl IncidentTracker {
    /// Takes a point in (`bucket`: it stands for the 10 minutes from its time); returns the
    /// incident it ended, if any.
    pub fn observe(&mut self, point: &Point, bucket: bool) -> Option<Incident> {
        let polls = point.polls();
        // A poll that counts as none (maintenance) neither continues nor ends a run.
        if polls.total() == 0 {
            return None;
        }
        if polls.answered == 0 {
            let run = self.run.get_or_insert(Run {
                start: point.at,
                failed: 0,
                whole_points: 0,
                approximate: bucket,
            });
            run.failed += u64::from(polls.failed);
            run.whole_points += 1;
            return None;
        }
        let share = |n: u32| COARSE_BUCKET_SECS * u64::from(n) / u64::from(polls.total());
        let ended = self.run.take().and_then(|mut run| {
            // A partial bucket's failed polls are taken as its first ones (they continue the
            // run), and the run as ending where its answered share begins.
            let end = if bucket && polls.failed > 0 {
                run.failed += u64::from(polls.failed);
                point.at + share(polls.failed)
            } else {
                point.at
            };
            run.is_incident()
                .then(|| run.close(Some(end.max(run.start)), bucket))
        });
        if bucket && polls.failed > 0 && ended.is_none() {
            // No run went into it: its failed polls are taken as its last ones, which a
            // bucket of failed polls after it may continue.
            self.run = Some(Run {
                start: point.at + share(polls.answered),
                failed: u64::from(polls.failed),
                whole_points: 0,
                approximate: true,
            });
        }
        ended
    }

    /// The incident under way, if the current run is one.
    pub fn ongoing(&self) -> Option<Incident> {
        self.run
            .filter(Run::is_incident)
            .map(|run| run.close(None, false))
    }
}

/// Answered and failed polls over each window.
fn share(polls: PollCounts) -> Option<f64> {
    (polls.total() > 0).then(|| 100.0 * f64::from(polls.answered) / f64::from(polls.total()))
}

/// Availability over the three windows, in percent (`None`: no counted poll in the window).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shares {
    pub up_24h: Option<f64>,
    pub up_7d: Option<f64>,
    pub up_30d: Option<f64>,
}

impl Shares {
    fn of(counts: [PollCounts; 3]) -> Shares {
        Shares {
            up_24h: share(counts[0]),
            up_7d: share(counts[1]),
            up_30d: share(counts[2]),
        }
    }
}

/// What a history says about a backend's availability.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Availability {
    pub shares: Shares,
    /// Oldest first; the last may be ongoing.
    pub incidents: Vec<Incident>,
}

impl Availability {
    /// Mean time to recover over the closed incidents (seconds); `None` without one.
    pub fn mttr_secs(&self) -> Option<u64> {
        mean_duration(
            self.incidents
                .iter()
                .filter_map(|i| Some((i.start, i.end?))),
        )
    }

    /// The incident under way, if any.
    pub fn ongoing(&self) -> Option<&Incident> {
        self.incidents.last().filter(|i| i.end.is_none())
    }
}

fn mean_duration(closed: impl Iterator<Item = (u64, u64)>) -> Option<u64> {
    let (sum, n) = closed.fold((0u64, 0u64), |(sum, n), (start, end)| {
        (sum.saturating_add(end.saturating_sub(start)), n + 1)
    });
    (n > 0).then(|| sum / n)
}

/// Availability of `points` (in time order) at `now`; points before `fine_from` are 10-minute
/// buckets.
pub fn compute(points: &[Point], fine_from: u64, now: u64) -> Availability {
    let mut counts = [PollCounts::default(); 3];
    let mut tracker = IncidentTracker::default();
    let mut incidents = Vec::new();
    for point in points {
        for (window, count) in WINDOWS_SECS.iter().zip(counts.iter_mut()) {
            if point.at >= now.saturating_sub(*window) {
                let polls = point.polls();
                count.answered = count.answered.saturating_add(polls.answered);
                count.failed = count.failed.saturating_add(polls.failed);
            }
        }
        incidents.extend(tracker.observe(point, point.at < fine_from));
    }
    incidents.extend(tracker.ongoing());
    Availability {
        shares: Shares::of(counts),
        incidents,
    }
}

/// An alert's span, for finding the reason of an incident: unix seconds raised, cleared
/// (`None`: still active), and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownAlert {
    pub raised: u64,
    pub cleared: Option<u64>,
    pub message: String,
}

/// Gives each incident its reason: the message of a `down` alert that overlaps it (its
/// `down: ` prefix left out), else for an ongoing one `health_message`, else none.
pub fn attach_reasons(
    incidents: &mut [Incident],
    alerts: &[DownAlert],
    health_message: Option<&str>,
    now: u64,
) {
    for incident in incidents.iter_mut() {
        let end = incident.end.unwrap_or(now);
        let alert = alerts
            .iter()
            .find(|a| a.raised <= end && a.cleared.unwrap_or(now) >= incident.start);
        incident.reason = match alert {
            Some(alert) => Some(
                alert
                    .message
                    .strip_prefix("down: ")
                    .unwrap_or(&alert.message)
                    .to_string(),
            ),
            None if incident.end.is_none() => health_message.map(str::to_string),
            None => None,
        };
    }
}

/// What `status --json` carries of availability (`availability` on a backend's stats).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AvailabilitySummary {
    /// Percent of polls answered over 24 hours, 7 days, 30 days; `null` when none counted.
    pub up_24h: Option<f64>,
    pub up_7d: Option<f64>,
    pub up_30d: Option<f64>,
    /// Incidents (down episodes) that started or ended in the last 30 days.
    pub incidents_30d: u32,
    /// Mean time to recover over the closed ones, seconds; `null` without one.
    pub mttr_secs: Option<u64>,
    /// When the ongoing incident started (RFC 3339); `null` when not down.
    pub down_since: Option<String>,
}

impl AvailabilitySummary {
    pub fn of(availability: &Availability, now: u64) -> AvailabilitySummary {
        let from = now.saturating_sub(30 * DAY_SECS);
        AvailabilitySummary {
            up_24h: round(availability.shares.up_24h),
            up_7d: round(availability.shares.up_7d),
            up_30d: round(availability.shares.up_30d),
            incidents_30d: availability
                .incidents
                .iter()
                .filter(|i| i.end.unwrap_or(now) >= from)
                .count()
                .try_into()
                .unwrap_or(u32::MAX),
            mttr_secs: availability.mttr_secs(),
            down_since: availability.ongoing().map(|i| rfc3339(i.start)),
        }
    }
}

/// Percent to 3 decimals: enough to tell 99.999 from 100 without float noise in the JSON.
fn round(percent: Option<f64>) -> Option<f64> {
    percent.map(|p| (p * 1000.0).round() / 1000.0)
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(secs: u64) -> String {
    let at = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .unwrap_or_default();
    crate::store::timestamp::format(at)
}

/// One hour's polls, for the engine's tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hour {
    /// Hours since the epoch.
    index: u32,
    answered: u16,
    failed: u16,
}

/// The engine's running availability of one backend: hourly counts for 30 days (8 bytes an
/// hour), the closed incidents of the last 30 days (bounded) and the run under way. Seeded
/// from the history file when the engine starts the backend, then fed each poll.
#[derive(Clone, Debug, Default)]
pub struct AvailabilityTally {
    hours: VecDeque<Hour>,
    tracker: IncidentTracker,
    closed: VecDeque<(u64, u64)>,
}

impl AvailabilityTally {
    /// A tally of a history read from the file (points before `fine_from` are buckets).
    pub fn seeded(points: &[Point], fine_from: u64) -> AvailabilityTally {
        let mut tally = AvailabilityTally::default();
        for point in points {
            tally.observe(point, point.at < fine_from);
        }
        tally
    }

    /// Takes one point in (a poll's, or a bucket's when seeding).
    pub fn observe(&mut self, point: &Point, bucket: bool) {
        let polls = point.polls();
        let index = u32::try_from(point.at / HOUR_SECS).unwrap_or(u32::MAX);
        let add = |hour: &mut Hour| {
            hour.answered = hour
                .answered
                .saturating_add(u16::try_from(polls.answered).unwrap_or(u16::MAX));
            hour.failed = hour
                .failed
                .saturating_add(u16::try_from(polls.failed).unwrap_or(u16::MAX));
        };
        match self.hours.back_mut() {
            // A point older than the last hour (a clock step back) counts in the last one.
            Some(last) if last.index >= index => add(last),
            _ => {
                let mut hour = Hour {
                    index,
                    answered: 0,
                    failed: 0,
                };
                add(&mut hour);
                self.hours.push_back(hour);
            }
        }
        while self.hours.len() > TALLY_HOURS
            || self
                .hours
                .front()
                .is_some_and(|h| h.index.saturating_add(TALLY_HOURS as u32) < index)
        {
            self.hours.pop_front();
        }
        if let Some(incident) = self.tracker.observe(point, bucket) {
            if let Some(end) = incident.end {
                self.closed.push_back((incident.start, end));
            }
        }
        let from = point.at.saturating_sub(30 * DAY_SECS);
        while self.closed.len() > TALLY_INCIDENTS
            || self.closed.front().is_some_and(|&(_, end)| end < from)
        {
            self.closed.pop_front();
        }
    }

    /// The summary at `now` (the windows to the hour).
    pub fn summary(&self, now: u64) -> AvailabilitySummary {
        let mut counts = [PollCounts::default(); 3];
        for hour in &self.hours {
            let end = (u64::from(hour.index) + 1) * HOUR_SECS;
            for (window, count) in WINDOWS_SECS.iter().zip(counts.iter_mut()) {
                if end > now.saturating_sub(*window) {
                    count.answered += u32::from(hour.answered);
                    count.failed += u32::from(hour.failed);
                }
            }
        }
        let from = now.saturating_sub(30 * DAY_SECS);
        let closed = self.closed.iter().filter(|&&(_, end)| end >= from);
        let ongoing = self.tracker.ongoing();
        AvailabilitySummary {
            up_24h: round(share(counts[0])),
            up_7d: round(share(counts[1])),
            up_30d: round(share(counts[2])),
            incidents_30d: u32::try_from(closed.clone().count())
                .unwrap_or(u32::MAX)
                .saturating_add(u32::from(ongoing.is_some())),
            mttr_secs: mean_duration(closed.copied()),
            down_since: ongoing.map(|i| rfc3339(i.start)),
        }
    }
}

/// One incident as `backend availability --json` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub start: String,
    /// `null` while ongoing.
    pub end: Option<String>,
    pub ongoing: bool,
    /// Seconds; for an ongoing one, until the report was made.
    pub duration_secs: u64,
    pub failed_polls: u64,
    /// Its times were read from 10-minute buckets.
    pub approximate: bool,
    /// `null` when unknown.
    pub reason: Option<String>,
}

/// `backend availability ID --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityReport {
    pub backend: String,
    /// When it was computed (RFC 3339).
    pub at: String,
    pub up_24h: Option<f64>,
    pub up_7d: Option<f64>,
    pub up_30d: Option<f64>,
    pub mttr_secs: Option<u64>,
    /// Oldest first.
    pub incidents: Vec<IncidentReport>,
}

impl AvailabilityReport {
    pub fn new(backend: &str, availability: &Availability, now: u64) -> AvailabilityReport {
        AvailabilityReport {
            backend: backend.to_string(),
            at: rfc3339(now),
            up_24h: round(availability.shares.up_24h),
            up_7d: round(availability.shares.up_7d),
            up_30d: round(availability.shares.up_30d),
            mttr_secs: availability.mttr_secs(),
            incidents: availability
                .incidents
                .iter()
                .map(|i| IncidentReport {
                    start: rfc3339(i.start),
                    end: i.end.map(rfc3339),
                    ongoing: i.end.is_none(),
                    duration_secs: i.duration_secs(now),
                    failed_polls: i.failed_polls,
                    approximate: i.approximate,
                    reason: i.reason.clone(),
                })
                .collect(),
        }
    }

    /// The summary the stats carry, from the same figures.
    pub fn summary(&self) -> AvailabilitySummary {
        AvailabilitySummary {
            up_24h: self.up_24h,
            up_7d: self.up_7d,
            up_30d: self.up_30d,
            incidents_30d: u32::try_from(self.incidents.len()).unwrap_or(u32::MAX),
            mttr_secs: self.mttr_secs,
            down_since: self
                .incidents
                .last()
                .filter(|i| i.ongoing)
                .map(|i| i.start.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;
    const STEP: u64 = 10;

    fn poll(at: u64, answered: bool) -> Point {
        Point {
            at,
            response_ms: answered.then_some(5.0),
            ..Point::default()
        }
    }

    /// Polls every 10 s from `from` for `n` polls; `down(i)` says which failed.
    fn polls(from: u64, n: u64, down: impl Fn(u64) -> bool) -> Vec<Point> {
        (0..n).map(|i| poll(from + i * STEP, !down(i))).collect()
    }

    /// A 10-minute bucket of `answered` then `failed` polls, as the compaction makes it.
    fn bucket(at: u64, answered: u32, failed: u32) -> Point {
        let polls: Vec<Point> = (0..answered + failed)
            .map(|i| poll(at + u64::from(i), i < answered))
            .collect();
        let kept = crate::monitor::history::retain(polls, at + 20 * DAY_SECS, 1);
        assert_eq!(kept.len(), 1);
        kept[0]
    }

    #[test]
    fn all_up_is_one_hundred_percent_and_no_incident() {
        let points = polls(NOW - 3_600, 360, |_| false);
        let a = compute(&points, 0, NOW);
        assert_eq!(a.shares.up_24h, Some(100.0));
        assert_eq!(a.shares.up_30d, Some(100.0));
        assert!(a.incidents.is_empty());
        assert_eq!(a.mttr_secs(), None);
    }

    #[test]
    fn a_blip_lowers_the_share_but_is_no_incident() {
        let points = polls(NOW - 1_000, 100, |i| i == 40 || i == 41);
        let a = compute(&points, 0, NOW);
        assert_eq!(a.shares.up_24h, Some(98.0));
        assert!(a.incidents.is_empty());
    }

    #[test]
    fn one_outage_is_one_incident_from_its_first_failure_to_the_first_answer() {
        let from = NOW - 1_000;
        let points = polls(from, 100, |i| (20..50).contains(&i));
        let a = compute(&points, 0, NOW);
        assert_eq!(a.shares.up_24h, Some(70.0));
        assert_eq!(
            a.incidents,
            vec![Incident {
                start: from + 200,
                end: Some(from + 500),
                failed_polls: 30,
                approximate: false,
                reason: None,
            }]
        );
        assert_eq!(a.mttr_secs(), Some(300));
        assert_eq!(a.ongoing(), None);
        let summary = AvailabilitySummary::of(&a, NOW);
        assert_eq!(summary.incidents_30d, 1);
        assert_eq!(summary.down_since, None);
    }

    #[test]
    fn exactly_the_threshold_is_an_incident_one_less_is_not() {
        let budget = u64::from(RETRY_BUDGET);
        let at_threshold = polls(NOW - 100, 10, |i| (2..2 + budget).contains(&i));
        assert_eq!(compute(&at_threshold, 0, NOW).incidents.len(), 1);
        let under = polls(NOW - 100, 10, |i| (2..1 + budget).contains(&i));
        assert!(compute(&under, 0, NOW).incidents.is_empty());
    }

    #[test]
    fn an_ongoing_outage_has_no_end_and_no_mttr() {
        let from = NOW - 1_000;
        let points = polls(from, 100, |i| i >= 90);
        let a = compute(&points, 0, NOW);
        let ongoing = a.ongoing().cloned();
        assert_eq!(ongoing.as_ref().map(|i| i.start), Some(from + 900));
        assert_eq!(ongoing.map(|i| i.duration_secs(NOW)), Some(100));
        assert_eq!(a.mttr_secs(), None);
        let summary = AvailabilitySummary::of(&a, NOW);
        assert_eq!(summary.down_since, Some(rfc3339(from + 900)));
        assert_eq!(summary.incidents_30d, 1);
    }

    #[test]
    fn an_empty_history_knows_nothing() {
        let a = compute(&[], 0, NOW);
        assert_eq!(a.shares, Shares::default());
        assert!(a.incidents.is_empty());
        let summary = AvailabilitySummary::of(&a, NOW);
        assert_eq!(summary.up_24h, None);
        assert_eq!(summary.mttr_secs, None);
    }

    #[test]
    fn time_without_polls_is_neither_up_nor_down() {
        // Up for an hour two days ago, then the engine stopped; up for 10 minutes now.
        let mut points = polls(NOW - 2 * DAY_SECS, 360, |_| false);
        points.extend(polls(NOW - 600, 60, |i| i < 6));
        let a = compute(&points, 0, NOW);
        assert_eq!(a.shares.up_24h, Some(90.0), "the gap counts for nothing");
        assert_eq!(a.shares.up_7d, Some(100.0 * 414.0 / 420.0));
        // The failures after the gap are an incident of their own, not the gap.
        assert_eq!(a.incidents.len(), 1);
        assert_eq!(a.incidents[0].start, NOW - 600);
        assert_eq!(a.incidents[0].duration_secs(NOW), 60);
        // A window with no polls at all is unknown, not 0 or 100.
        let old = polls(NOW - 10 * DAY_SECS, 10, |_| false);
        assert_eq!(compute(&old, 0, NOW).shares.up_24h, None);
        assert_eq!(compute(&old, 0, NOW).shares.up_30d, Some(100.0));
    }

    #[test]
    fn uncounted_polls_are_left_out() {
        // Down during maintenance: neither a failure nor an incident.
        let points: Vec<Point> = polls(NOW - 1_000, 100, |i| (10..40).contains(&i))
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                if (10..40).contains(&i) {
                    p.uncounted()
                } else {
                    p
                }
            })
            .collect();
        let a = compute(&points, 0, NOW);
        assert_eq!(a.shares.up_24h, Some(100.0));
        assert!(a.incidents.is_empty());
    }

    #[test]
    fn outages_across_the_switch_to_buckets() {
        let fine_from = NOW - 3_600;
        let b0 = fine_from - 3 * COARSE_BUCKET_SECS;
        let mut points = vec![
            bucket(b0, 60, 0),
            // Up 20 polls, then down: the run starts in this bucket.
            bucket(b0 + 600, 20, 40),
            bucket(b0 + 1_200, 0, 60),
        ];
        // Still down at poll resolution, then back.
        points.extend(polls(fine_from, 100, |i| i < 30));
        let a = compute(&points, fine_from, NOW);
        assert_eq!(a.incidents.len(), 1);
        let incident = &a.incidents[0];
        assert!(incident.approximate, "its start is known to the bucket");
        assert_eq!(
            incident.start,
            b0 + 600 + 200,
            "where the failed share begins"
        );
        assert_eq!(
            incident.end,
            Some(fine_from + 300),
            "the first answer, exact"
        );
        assert_eq!(incident.failed_polls, 40 + 60 + 30);
        // The shares count every poll the buckets stand for.
        let answered = 60 + 20 + 70;
        let total = 60 + 60 + 60 + 100;
        assert_eq!(
            a.shares.up_24h,
            Some(100.0 * f64::from(answered) / f64::from(total))
        );
        // An outage inside the buckets, ended by a partial bucket.
        let points = vec![
            bucket(b0, 0, 60),
            bucket(b0 + 600, 30, 30),
            bucket(b0 + 1_200, 60, 0),
        ];
        let a = compute(&points, fine_from, NOW);
        assert_eq!(a.incidents.len(), 1);
        assert_eq!(a.incidents[0].start, b0);
        assert_eq!(a.incidents[0].end, Some(b0 + 900));
        assert!(a.incidents[0].approximate);
        assert_eq!(a.mttr_secs(), Some(900));
        // Failures inside one partial bucket may have been scattered: no incident.
        let points = vec![bucket(b0, 50, 10), bucket(b0 + 600, 60, 0)];
        assert!(compute(&points, fine_from, NOW).incidents.is_empty());
    }

    #[test]
    fn reasons_come_from_the_overlapping_down_alert_else_the_health() {
        let from = NOW - 1_000;
        let points = polls(from, 100, |i| (10..20).contains(&i) || i >= 95);
        let mut a = compute(&points, 0, NOW);
        assert_eq!(a.incidents.len(), 2);
        let alerts = [
            // An older outage's alert overlaps nothing.
            DownAlert {
                raised: from - 5_000,
                cleared: Some(from - 4_000),
                message: "down: timed out".into(),
            },
            DownAlert {
                raised: from + 120,
                cleared: Some(from + 200),
                message: "down: connection refused".into(),
            },
        ];
        attach_reasons(&mut a.incidents, &alerts, Some("no route to host"), NOW);
        assert_eq!(a.incidents[0].reason.as_deref(), Some("connection refused"));
        assert_eq!(a.incidents[1].reason.as_deref(), Some("no route to host"));
        attach_reasons(&mut a.incidents, &alerts[..1], None, NOW);
        assert_eq!(a.incidents[0].reason, None, "unknown");
    }

    #[test]
    fn the_tally_agrees_with_the_computation() {
        let from = NOW - 2 * DAY_SECS;
        let points = polls(from, 2 * 8_640, |i| {
            (100..200).contains(&i) || (9_000..9_002).contains(&i) || i >= 17_270
        });
        let exact = compute(&points, 0, NOW);
        let mut tally = AvailabilityTally::seeded(&points[..5_000], 0);
        for point in &points[5_000..] {
            tally.observe(point, false);
        }
        let summary = tally.summary(NOW);
        assert_eq!(summary.incidents_30d, 2);
        assert_eq!(summary.mttr_secs, Some(1_000));
        assert_eq!(summary.down_since, Some(rfc3339(from + 17_270 * STEP)));
        assert_eq!(summary.up_7d, AvailabilitySummary::of(&exact, NOW).up_7d);
        // The 24-hour window is counted to the hour: within the polls of an hour.
        let day = summary.up_24h.unwrap_or(0.0);
        let exact_day = exact.shares.up_24h.unwrap_or(100.0);
        assert!((day - exact_day).abs() < 1.0, "{day} vs {exact_day}");
    }

    #[test]
    fn the_tally_stays_small() {
        let mut tally = AvailabilityTally::default();
        for i in 0..(40 * 24 * 6) {
            tally.observe(&poll(NOW + i * 600, i % 7 != 0), false);
        }
        assert!(tally.hours.len() <= TALLY_HOURS);
        assert!(tally.closed.len() <= TALLY_INCIDENTS);
    }

    #[test]
    fn the_report_says_ongoing_and_durations() {
        let from = NOW - 1_000;
        let points = polls(from, 100, |i| (10..20).contains(&i) || i >= 95);
        let report = AvailabilityReport::new("b", &compute(&points, 0, NOW), NOW);
        assert_eq!(report.incidents.len(), 2);
        assert!(!report.incidents[0].ongoing);
        assert_eq!(report.incidents[0].duration_secs, 100);
        assert!(report.incidents[1].ongoing && report.incidents[1].end.is_none());
        assert_eq!(report.incidents[1].duration_secs, 50);
        assert_eq!(report.mttr_secs, Some(100));
        assert_eq!(report.summary().down_since, Some(rfc3339(from + 950)));
        assert_eq!(report.up_24h, Some(85.0));
    }
}
