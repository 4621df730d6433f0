//! The message log: what happened (alerts, tests, saves, removals, files that do not read),
//! newest last, bounded, with how far it is scrolled up from the newest.

use std::collections::VecDeque;

/// Messages kept in the log.
pub const MESSAGE_LIMIT: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Unix seconds.
    pub at: i64,
    pub level: Level,
    pub text: String,
}

#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    messages: VecDeque<Message>,
    /// Lines scrolled up from the newest message.
    scroll: usize,
}

impl MessageLog {
    /// Adds a message (sanitised: it may hold what a backend said), dropping the oldest past
    /// `MESSAGE_LIMIT`.
    pub fn push(&mut self, at: i64, level: Level, text: impl Into<String>) {
        self.messages.push_back(Message {
            at,
            level,
            text: crate::text::sanitize(&text.into(), 300),
        });
        while self.messages.len() > MESSAGE_LIMIT {
            self.messages.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn clear(&mut self) {
        self.messages.clear();
    }

    pub fn last(&self) -> Option<&Message> {
        self.messages.back()
    }

    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &Message> {
        self.messages.range(range)
    }

    /// Lines scrolled up from the newest message.
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// Scrolls `delta` lines towards the newest (negative: towards the oldest).
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.messages.len().saturating_sub(1);
        self.scroll = (self.scroll as isize - delta).clamp(0, max as isize) as usize;
    }

    /// To the oldest message, or back to the newest.
    pub fn scroll_to(&mut self, oldest: bool) {
        self.scroll = if oldest {
            self.messages.len().saturating_sub(1)
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bounded() {
        let mut log = MessageLog::default();
        for i in 0..(MESSAGE_LIMIT + 50) {
            log.push(0, Level::Info, format!("m{i}"));
        }
        assert_eq!(log.len(), MESSAGE_LIMIT);
        assert_eq!(log.last().unwrap().text, format!("m{}", MESSAGE_LIMIT + 49));
    }
}
