//! The console's own home: whether the engine can write it. A home that cannot be written (its
//! disk full, read-only, or denying us) is said once on the summary line with the reason, and in
//! the message log when it starts and when writing works again; what could not be written is
//! held by the engine meanwhile (`monitor::writer`).

use crate::monitor::writer::HomeTrouble;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HomeStatus {
    trouble: Option<HomeTrouble>,
    /// When the trouble started (unix seconds).
    since: Option<i64>,
}

impl HomeStatus {
    /// The home cannot be written; returns what the message log says, when this is news.
    pub fn trouble(&mut self, trouble: HomeTrouble, now: i64) -> Option<String> {
        let news = self.trouble.as_ref().map(|t| &t.reason) != Some(&trouble.reason);
        let text = format!(
            "cannot save to the home: {} ({} writes held in memory; tried again every {} s, and \
             on quitting)",
            crate::text::sanitize(&trouble.reason, 300),
            trouble.held,
            crate::monitor::writer::RETRY_EVERY.as_secs()
        );
        if self.since.is_none() {
            self.since = Some(now);
        }
        self.trouble = Some(trouble);
        news.then_some(text)
    }

    /// The home can be written again; returns what the message log says, when this is news.
    pub fn writable(&mut self, now: i64) -> Option<String> {
        self.trouble.take()?;
        let since = self.since.take().unwrap_or(now);
        Some(format!(
            "the home can be written again (after {}); everything held was saved",
            crate::text::age((now - since).max(0) as f64).trim_end_matches(" ago")
        ))
    }

    /// Why the home cannot be written, while it cannot.
    pub fn problem(&self) -> Option<&HomeTrouble> {
        self.trouble.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> HomeTrouble {
        HomeTrouble {
            reason: "/h/metadata/.alerts.json.tmp: No space left on device (os error 28)".into(),
            held: 3,
        }
    }

    #[test]
    fn said_once_then_again_when_writing_works() {
        let mut home = HomeStatus::default();
        assert!(home.writable(10).is_none(), "nothing to say while it works");
        let said = home.trouble(full(), 100).expect("news");
        assert!(said.contains("No space left on device"), "{said}");
        assert!(said.contains("3 writes held"), "{said}");
        assert!(
            home.trouble(full(), 105).is_none(),
            "the same reason: said once"
        );
        assert!(home.problem().is_some());
        let back = home.writable(160).expect("news");
        assert!(back.contains("after 1m"), "{back}");
        assert!(home.problem().is_none());
    }
}
