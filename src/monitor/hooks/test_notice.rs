//! The alert notice the hooks' tests share.

use super::payload::{AlertEvent, Notice};
use crate::monitor::alerts::{Alert, Closed, Rule};

pub(super) fn notice(event: AlertEvent) -> Notice {
    Notice {
        event,
        alert: Alert {
            backend: "kubo".into(),
            rule: Rule::Down,
            message: "down for 3 polls: connection refused".into(),
            raised_at: "2026-01-02T03:04:05.000000+00:00".into(),
            cleared_at: (event == AlertEvent::Cleared)
                .then(|| "2026-01-02T03:14:05.000000+00:00".into()),
            closed: (event == AlertEvent::Cleared).then_some(Closed::Recovered),
            acknowledged_at: None,
            silenced_until: None,
        },
        kind: Some("ipfs".into()),
        reminder: false,
    }
}
