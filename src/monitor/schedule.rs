//! When to poll next: the interval, with jitter, whether the last poll answered or not — a
//! backend that comes back is seen within one interval of its return (what a down backend
//! costs is one liveness check per interval; its inventory, the expensive work, waits until it
//! answers again). Two exceptions wait longer: the server's `Retry-After` is honoured, and
//! rejected credentials back off exponentially (capped), since knocking at a login with a
//! wrong key every few seconds can get an account locked.

use std::time::Duration;

use crate::probe::ProbeError;

/// Backoff after rejected credentials never waits longer than this (or the interval, if that
/// is longer).
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// Consecutive failures before a backend is called down (and an alert raised).
pub const RETRY_BUDGET: u32 = 3;
/// Jitter, as a fraction of the delay, either way.
const JITTER: f64 = 0.1;

/// The delay before the next poll. `failures` counts consecutive failures including this
/// outcome's (0 after a success); `jitter` is a uniform sample in [-1, 1].
pub fn next_delay(
    interval: Duration,
    failures: u32,
    error: Option<&ProbeError>,
    jitter: f64,
) -> Duration {
    let cap = BACKOFF_CAP.max(interval);
    let base = match error {
        Some(ProbeError::Unauthorized { .. }) => {
            let factor = 2f64.powi(failures.saturating_sub(1).min(16) as i32);
            interval.mul_f64(factor).min(cap)
        }
        _ => interval,
    };
    let jittered = base.mul_f64(1.0 + JITTER * jitter.clamp(-1.0, 1.0));
    let floor = error
        .and_then(ProbeError::retry_after)
        .unwrap_or(Duration::ZERO);
    jittered.max(floor).max(Duration::from_millis(100))
}

/// The first poll of a backend waits a uniform fraction of its interval, so that a thousand
/// backends started together do not all poll in the same instant.
pub fn first_delay(interval: Duration, unit: f64) -> Duration {
    interval.mul_f64(unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN: Duration = Duration::from_secs(10);

    fn timeout() -> ProbeError {
        ProbeError::Timeout { secs: 10 }
    }

    #[test]
    fn success_is_the_interval() {
        assert_eq!(next_delay(TEN, 0, None, 0.0), TEN);
        assert_eq!(next_delay(TEN, 0, None, 1.0), Duration::from_secs(11));
        assert_eq!(next_delay(TEN, 0, None, -1.0), Duration::from_secs(9));
    }

    #[test]
    fn a_failing_backend_is_polled_at_the_interval_so_that_its_return_is_seen_at_once() {
        let delays: Vec<u64> = (1..=8)
            .map(|k| next_delay(TEN, k, Some(&timeout()), 0.0).as_secs())
            .collect();
        assert_eq!(delays, vec![10; 8]);
        let refused = ProbeError::Refused {
            addr: "127.0.0.1:5572".into(),
        };
        assert_eq!(next_delay(TEN, 40, Some(&refused), 0.0), TEN);
        let missing = ProbeError::NotFound {
            what: "bucket".into(),
            detail: String::new(),
        };
        assert_eq!(next_delay(TEN, 9, Some(&missing), 0.0), TEN);
    }

    #[test]
    fn rejected_credentials_back_off_up_to_the_cap_and_retry_after_is_a_floor() {
        let denied = ProbeError::Unauthorized {
            status: 403,
            detail: String::new(),
        };
        let delays: Vec<u64> = (1..=8)
            .map(|k| next_delay(TEN, k, Some(&denied), 0.0).as_secs())
            .collect();
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 300, 300, 300]);
        // A long interval is never shortened by the cap.
        let hour = Duration::from_secs(3600);
        assert_eq!(next_delay(hour, 5, Some(&denied), 0.0), hour);
        let limited = ProbeError::RateLimited {
            retry_after_secs: Some(120),
        };
        assert_eq!(
            next_delay(TEN, 1, Some(&limited), -1.0),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn first_polls_spread_over_the_interval() {
        assert_eq!(first_delay(TEN, 0.0), Duration::ZERO);
        assert_eq!(first_delay(TEN, 0.5), Duration::from_secs(5));
        assert_eq!(first_delay(TEN, 7.0), TEN);
    }
}
