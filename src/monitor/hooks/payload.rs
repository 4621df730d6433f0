//! What a hook receives: the payload (version 1) of one alert raised or cleared, made from
//! the notice the engine queued, and the name of the machine it comes from.

use serde::Serialize;

use crate::monitor::alerts::{Alert, Change, Closed, Rule};

/// The payload's format; a receiver checks it before reading the rest.
pub const PAYLOAD_VERSION: u32 = 1;

/// Whether the alert was raised or cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    Raised,
    Cleared,
}

impl AlertEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertEvent::Raised => "raised",
            AlertEvent::Cleared => "cleared",
        }
    }
}

/// One alert change as the hooks receive it (stdin of the command, body of the POST).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Payload {
    pub version: u32,
    pub event: AlertEvent,
    pub backend: String,
    /// The backend's kind; unknown (null) when the backend was removed before this was sent.
    pub kind: Option<String>,
    /// The rule: quota, down, error_rate, credentials.
    pub alert: Rule,
    pub message: String,
    /// When the alert was raised.
    pub since: String,
    pub cleared_at: Option<String>,
    /// Why a cleared alert ended: recovered, removed or disabled (null when raised).
    pub closed: Option<Closed>,
    /// The machine this console runs on, for a receiver that hears from several.
    pub host: Option<String>,
    pub sent_at: String,
    /// True when this is a reminder (`alert_repeat_secs`) of an alert raised earlier and still
    /// active, not acknowledged and not silenced; its event is `raised`.
    pub reminder: bool,
}

/// Characters of an alert's message in the payload.
const MESSAGE_CHARS: usize = 500;

impl Payload {
    pub fn new(notice: &Notice, host: Option<&str>, sent_at: String) -> Payload {
        let alert = &notice.alert;
        let cleared = notice.event == AlertEvent::Cleared;
        Payload {
            version: PAYLOAD_VERSION,
            event: notice.event,
            backend: alert.backend.clone(),
            kind: notice.kind.clone(),
            alert: alert.rule,
            message: crate::text::sanitize(&alert.message, MESSAGE_CHARS),
            since: alert.raised_at.clone(),
            cleared_at: alert.cleared_at.clone().filter(|_| cleared),
            // A record from before the reason was kept is a recovery.
            closed: cleared.then(|| alert.closed.unwrap_or(Closed::Recovered)),
            host: host.map(str::to_string),
            sent_at,
            reminder: notice.reminder,
        }
    }
}

/// An alert change waiting for a hook.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub event: AlertEvent,
    pub alert: Alert,
    pub kind: Option<String>,
    /// A reminder of an alert still active (see `Payload::reminder`).
    pub reminder: bool,
}

impl Notice {
    /// The notice of a raise or a clear; `None` for a message that follows its figure (hooks
    /// hear of an alert once when raised and once when cleared).
    pub fn of(change: &Change, kind: Option<&str>) -> Option<Notice> {
        let (event, alert) = match change {
            Change::Raised(alert) => (AlertEvent::Raised, alert),
            Change::Cleared(alert) => (AlertEvent::Cleared, alert),
            Change::Updated(_) => return None,
        };
        Some(Notice {
            event,
            alert: alert.clone(),
            kind: kind.map(crate::probe::clean),
            reminder: false,
        })
    }

    /// The reminder of an alert still active: a raise again, marked as a reminder.
    pub fn reminder(alert: &Alert, kind: Option<&str>) -> Notice {
        Notice {
            event: AlertEvent::Raised,
            alert: alert.clone(),
            kind: kind.map(crate::probe::clean),
            reminder: true,
        }
    }

    /// The alert in a failure message: `the down alert on 'kubo' (raised)`, or `(reminder:
    /// still active)`.
    pub fn describe(&self) -> String {
        format!(
            "the {} alert on '{}' ({})",
            self.alert.rule.as_str(),
            crate::text::sanitize(&self.alert.backend, 80),
            if self.reminder {
                "reminder: still active"
            } else {
                self.event.as_str()
            }
        )
    }
}

/// This machine's name: the kernel's, else /etc/hostname; none when neither says.
pub fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| crate::text::sanitize(text.trim(), 255))
        .find(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::alerts::{Alerts, Facts};
    use crate::monitor::hooks::test_notice::notice;
    use crate::stats::BackendStats;

    #[test]
    fn payload_has_the_documented_shape() {
        let raised = Payload::new(&notice(AlertEvent::Raised), Some("node-1"), "now".into());
        assert_eq!(
            serde_json::to_value(&raised).unwrap(),
            serde_json::json!({
                "version": 1,
                "event": "raised",
                "backend": "kubo",
                "kind": "ipfs",
                "alert": "down",
                "message": "down for 3 polls: connection refused",
                "since": "2026-01-02T03:04:05.000000+00:00",
                "cleared_at": null,
                "closed": null,
                "host": "node-1",
                "sent_at": "now",
                "reminder": false,
            })
        );
        let cleared = Payload::new(&notice(AlertEvent::Cleared), None, "later".into());
        let value = serde_json::to_value(&cleared).unwrap();
        assert_eq!(value["event"], "cleared");
        assert_eq!(value["cleared_at"], "2026-01-02T03:14:05.000000+00:00");
        assert_eq!(value["closed"], "recovered");
        assert_eq!(value["host"], serde_json::Value::Null);
        assert_eq!(value["reminder"], false);
    }

    #[test]
    fn a_reminder_is_a_raise_marked_as_such() {
        let raised = notice(AlertEvent::Raised);
        let reminder = Notice::reminder(&raised.alert, Some("ipfs"));
        let value = serde_json::to_value(Payload::new(&reminder, None, "now".into())).unwrap();
        assert_eq!(value["event"], "raised");
        assert_eq!(value["reminder"], true);
        assert_eq!(value["since"], raised.alert.raised_at);
        assert_eq!(
            reminder.describe(),
            "the down alert on 'kubo' (reminder: still active)"
        );
        assert_eq!(raised.describe(), "the down alert on 'kubo' (raised)");
    }

    #[test]
    fn payload_carries_no_secret_and_no_url_of_the_backend() {
        // A backend whose config holds a secret and a URL with a token and a password.
        let config = serde_json::json!({
            "id": "s3-main",
            "config": {
                "type": "s3",
                "bucket": "b",
                "access_key": "AKIA-HOOKTEST",
                "secret_key": "s3cr3t-HOOKTEST",
                "endpoint": "https://user:pa55w0rd@s3.example.com/?token=tok-HOOKTEST",
            }
        });
        let serde_json::Value::Object(doc) = config else {
            panic!("an object")
        };
        let doc = crate::store::BackendDoc {
            id: "s3-main".into(),
            path: "s3-main.json".into(),
            doc,
        };
        let mut stats = BackendStats {
            id: "s3-main".into(),
            kind: "s3".into(),
            ..BackendStats::default()
        };
        stats.health.message =
            Some("credentials rejected (HTTP 403)\u{1b}]0;retitled\u{7}\nsecond line".into());
        let mut alerts = Alerts::default();
        let changes = alerts.evaluate(
            &Facts {
                stats: &stats,
                consecutive_failures: 3,
                error_rate: (0.0, 0),
                quota_alert_percent: 90,
                error_rate_limit: 0.2,
                forecast_alert_secs: 24 * 3_600,
                now_unix: 0,
                credentials_rejected: true,
                in_maintenance: false,
            },
            "2026-01-02T03:04:05+00:00",
        );
        assert_eq!(changes.len(), 2, "{changes:?}");
        for change in &changes {
            // As the monitor does: the kind from the backend's doc, nothing else of it.
            let notice = Notice::of(change, Some(doc.kind())).unwrap();
            let text = serde_json::to_string(&Payload::new(&notice, None, "now".into())).unwrap();
            for secret in [
                "AKIA-HOOKTEST",
                "s3cr3t-HOOKTEST",
                "pa55w0rd",
                "tok-HOOKTEST",
                "s3.example.com",
                "endpoint",
                "bucket",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let message = value["message"].as_str().unwrap();
            assert!(
                !message.contains('\u{1b}') && !message.contains('\n'),
                "sanitized: {message:?}"
            );
            assert_eq!(value["backend"], "s3-main");
            assert_eq!(value["kind"], "s3");
        }
    }
}
