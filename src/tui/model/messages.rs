//! The message log: what happened (alerts, tests, saves, removals, files that do not read),
//! newest last, bounded, with how far it is scrolled up from the newest. Each line has a number
//! of its own, so that one can be rewritten in place (a flood of alerts is one growing line).

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
    /// This line's number in the log (never reused), to rewrite it in place.
    pub line: u64,
}

#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    messages: VecDeque<Message>,
    /// Lines scrolled up from the newest message.
    scroll: usize,
    /// The number the next line gets.
    next_line: u64,
}

impl MessageLog {
    /// Adds a message (sanitised: it may hold what a backend said), dropping the oldest past
    /// `MESSAGE_LIMIT`; returns its line number (for `rewrite`).
    pub fn push(&mut self, at: i64, level: Level, text: impl Into<String>) -> u64 {
        let line = self.next_line;
        self.next_line += 1;
        self.messages.push_back(Message {
            at,
            level,
            text: crate::text::sanitize(&text.into(), 300),
            line,
        });
        while self.messages.len() > MESSAGE_LIMIT {
            self.messages.pop_front();
        }
        line
    }

    /// Rewrites the text of a line in place (it keeps its time and place); false when that line
    /// is no longer in the log.
    pub fn rewrite(&mut self, line: u64, text: impl Into<String>) -> bool {
        // Numbers grow with the position: search from the newest, where a flood's line is.
        match self.messages.iter_mut().rev().find(|m| m.line == line) {
            Some(message) => {
                message.text = crate::text::sanitize(&text.into(), 300);
                true
            }
            None => false,
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

    #[test]
    fn a_line_is_rewritten_in_place_while_it_is_kept() {
        let mut log = MessageLog::default();
        let first = log.push(5, Level::Warning, "alert: a: down");
        log.push(6, Level::Info, "saved backend x");
        assert!(log.rewrite(first, "down: 2 backends at h:1 (a, b)\u{1b}[2J"));
        let texts: Vec<&str> = log.range(0..log.len()).map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            ["down: 2 backends at h:1 (a, b)", "saved backend x"],
            "sanitised"
        );
        assert_eq!(log.range(0..1).next().unwrap().at, 5, "it keeps its time");
        for i in 0..MESSAGE_LIMIT {
            log.push(7, Level::Info, format!("m{i}"));
        }
        assert!(!log.rewrite(first, "gone"), "dropped from the log");
    }
}
