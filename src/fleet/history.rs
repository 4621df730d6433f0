//! One fleet backend's history for the detail's charts, from Prometheus range queries: the
//! average poll time, the share of polls that answered (none answered: a failed point), used
//! bytes and objects, at about 300 points over the range.

use std::collections::BTreeMap;

use super::prometheus::{FleetError, Prometheus, RangeSeries};
use crate::monitor::history::{KeptHistory, Point};

/// Points over a range at most (one per plot column of a wide chart).
const POINTS: u64 = 300;
/// The shortest step: Prometheus' usual scrape interval.
const MIN_STEP: u64 = 15;

/// The step of a range query over `span` seconds.
pub fn step_for(span: u64) -> u64 {
    (span / POINTS).max(MIN_STEP)
}

fn selector(host: &str, backend: &str) -> String {
    format!(
        "instance=\"{}\",backend=\"{}\"",
        label_escape(host),
        label_escape(backend)
    )
}

/// A label value inside a PromQL double-quoted string.
fn label_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The values of the first series, by time.
fn by_time(series: &[RangeSeries]) -> BTreeMap<u64, f64> {
    series
        .first()
        .map(|s| {
            s.values
                .iter()
                .map(|(at, value)| (at.round() as u64, *value))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the points from the four series (each by time). A point is a time with polls (an
/// average or a share answered): a figure alone would chart as a failed poll. Other times are
/// gaps.
pub fn points(
    avg_seconds: &BTreeMap<u64, f64>,
    answered: &BTreeMap<u64, f64>,
    used: &BTreeMap<u64, f64>,
    objects: &BTreeMap<u64, f64>,
) -> Vec<Point> {
    let mut times: Vec<u64> = avg_seconds.keys().chain(answered.keys()).copied().collect();
    times.sort_unstable();
    times.dedup();
    times
        .into_iter()
        .map(|at| {
            let failed = answered.get(&at).is_some_and(|share| *share <= 0.0);
            let whole = |v: &f64| (v.is_finite() && *v >= 0.0).then(|| v.round() as u64);
            Point {
                at,
                response_ms: if failed {
                    None
                } else {
                    avg_seconds.get(&at).map(|s| (s * 1000.0) as f32)
                },
                used_bytes: used.get(&at).and_then(whole),
                objects: objects.get(&at).and_then(whole),
                rate_in: None,
                rate_out: None,
                counts: None,
            }
        })
        .collect()
}

/// The backend's history over the last `span` seconds up to `now`.
pub async fn read(
    prometheus: &Prometheus,
    host: &str,
    backend: &str,
    span: u64,
    now: u64,
) -> Result<KeptHistory, FleetError> {
    let step = step_for(span);
    // Rates over at least two scrapes of any usual interval.
    let window = (step * 2).max(60);
    let sel = selector(host, backend);
    let avg = format!(
        "rate(ipfs_kit_backend_poll_duration_seconds_sum{{{sel}}}[{window}s]) \
         / rate(ipfs_kit_backend_poll_duration_seconds_count{{{sel}}}[{window}s])"
    );
    let answered = format!(
        "sum(rate(ipfs_kit_backend_polls_total{{{sel},result=\"ok\"}}[{window}s])) \
         / sum(rate(ipfs_kit_backend_polls_total{{{sel}}}[{window}s]))"
    );
    let used = format!("ipfs_kit_backend_used_bytes{{{sel}}}");
    let objects = format!("ipfs_kit_backend_objects{{{sel}}}");
    let start = now.saturating_sub(span);
    let (avg, answered, used, objects) = tokio::join!(
        prometheus.query_range(&avg, start, now, step),
        prometheus.query_range(&answered, start, now, step),
        prometheus.query_range(&used, start, now, step),
        prometheus.query_range(&objects, start, now, step),
    );
    let points = points(
        &by_time(&avg?),
        &by_time(&answered?),
        &by_time(&used?),
        &by_time(&objects?),
    );
    Ok(KeptHistory {
        points,
        fine_from: start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_give_about_300_points_and_never_less_than_a_scrape() {
        assert_eq!(step_for(3600), 15);
        assert_eq!(step_for(24 * 3600), 288);
        assert_eq!(step_for(7 * 86_400), 2016);
    }

    #[test]
    fn no_answered_poll_is_a_failed_point_and_times_without_polls_are_gaps() {
        let avg = BTreeMap::from([(100, 0.02), (115, 0.03)]);
        let answered = BTreeMap::from([(100, 1.0), (115, 0.0)]);
        let used = BTreeMap::from([(100, 5e9), (145, 6e9)]);
        let points = points(&avg, &answered, &used, &BTreeMap::new());
        assert_eq!(points.len(), 2, "145 has no polls: a gap");
        assert_eq!(points[0].response_ms, Some(20.0));
        assert_eq!(points[0].used_bytes, Some(5_000_000_000));
        assert!(points[1].failed());
        assert_eq!(points[0].objects, None, "unknown, not 0");
    }

    #[test]
    fn label_values_are_quoted() {
        assert_eq!(
            selector("h:1", "we\"ird"),
            "instance=\"h:1\",backend=\"we\\\"ird\""
        );
    }
}
