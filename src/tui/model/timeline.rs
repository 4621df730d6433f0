//! The selected backend's timeline as the detail shows it: read from its file off the UI loop
//! when the selection changes, then followed from the engine's announcements; and how far it
//! is scrolled back from the newest event.

use crate::monitor::timeline::TimelineEvent;

/// Events read for the detail, at most (the newest).
pub const READ_LIMIT: usize = 200;

/// The timeline held for one backend, and the read under way.
#[derive(Clone, Debug, Default)]
pub struct TimelineView {
    loaded: Option<(String, Vec<TimelineEvent>)>,
    /// The backend whose timeline is being read: one read at a time.
    reading: Option<String>,
    /// Events scrolled back from the newest (0: the newest is the last line shown).
    back: usize,
}

impl TimelineView {
    /// The events held for `id`, oldest first, when they are the ones held.
    pub fn for_backend(&self, id: &str) -> Option<&[TimelineEvent]> {
        self.loaded
            .as_ref()
            .filter(|(held, _)| held == id)
            .map(|(_, events)| events.as_slice())
    }

    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }

    /// How many events the view is scrolled back from the newest.
    pub fn back(&self) -> usize {
        self.back
    }

    /// The backend to read now: `id` when what is held is another's and no read is under way.
    pub fn wanted(&mut self, id: &str) -> Option<String> {
        if self.reading.is_some() || self.for_backend(id).is_some() {
            return None;
        }
        self.reading = Some(id.to_string());
        Some(id.to_string())
    }

    /// A read answered; whether what is shown changed. A read of a backend no longer selected
    /// is held all the same (it is asked for again if another is selected).
    pub fn loaded(&mut self, id: String, events: Vec<TimelineEvent>) -> bool {
        if self.reading.as_deref() == Some(id.as_str()) {
            self.reading = None;
        }
        let changed = self.for_backend(&id) != Some(events.as_slice());
        if self.loaded.as_ref().is_none_or(|(held, _)| *held != id) {
            self.back = 0;
        }
        self.loaded = Some((id, events));
        changed
    }

    /// An event the engine recorded now: added when it is of the backend held (and the read
    /// under way, if any, will bring it too: the read is newer than the event or holds it).
    pub fn push(&mut self, id: &str, event: TimelineEvent) -> bool {
        let Some((held, events)) = self.loaded.as_mut().filter(|(held, _)| held == id) else {
            return false;
        };
        debug_assert_eq!(held, id);
        if events.last() == Some(&event) {
            return false;
        }
        events.push(event);
        let excess = events.len().saturating_sub(READ_LIMIT);
        events.drain(..excess);
        // A view scrolled back stays on the events it shows.
        if self.back > 0 {
            self.back += 1;
        }
        true
    }

    /// Scrolls back (positive: older) or forward, within the events held.
    pub fn scroll_by(&mut self, older: isize) {
        let len = self.loaded.as_ref().map_or(0, |(_, e)| e.len());
        let back = self.back.saturating_add_signed(older);
        self.back = back.min(len.saturating_sub(1));
    }

    /// To the oldest event held, or back to the newest.
    pub fn scroll_to(&mut self, oldest: bool) {
        let len = self.loaded.as_ref().map_or(0, |(_, e)| e.len());
        self.back = if oldest { len.saturating_sub(1) } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::alerts::Rule;
    use crate::monitor::timeline::What;

    fn event(minute: u32) -> TimelineEvent {
        TimelineEvent {
            at: format!("2026-12-07T10:{minute:02}:00+00:00"),
            what: What::AlertAcknowledged { rule: Rule::Down },
            raw: None,
        }
    }

    #[test]
    fn a_backends_timeline_is_read_once_then_followed_and_scrolls_within_it() {
        let mut view = TimelineView::default();
        assert_eq!(view.wanted("a"), Some("a".into()));
        assert_eq!(view.wanted("a"), None, "one read at a time");
        assert!(!view.push("a", event(0)), "nothing held yet");
        assert!(view.loaded("a".into(), vec![event(1), event(2)]));
        assert_eq!(view.wanted("a"), None, "held");
        assert!(view.push("a", event(3)));
        assert!(!view.push("b", event(4)), "another backend's");
        assert_eq!(view.for_backend("a").map(<[_]>::len), Some(3));
        view.scroll_by(5);
        assert_eq!(view.back(), 2, "no further back than the oldest");
        view.scroll_by(-1);
        assert!(view.push("a", event(5)));
        assert_eq!(view.back(), 2, "scrolled back, it stays on what it shows");
        view.scroll_to(false);
        assert_eq!(view.back(), 0);
        assert_eq!(
            view.wanted("b"),
            Some("b".into()),
            "another selection is read"
        );
        assert!(!view.loaded("b".into(), Vec::new()) || view.for_backend("b").is_some());
        assert_eq!(view.for_backend("b").map(<[_]>::len), Some(0));
    }
}
