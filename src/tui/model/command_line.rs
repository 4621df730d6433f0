//! The lines run on the `:` command line, oldest first, each once, bounded.

/// Command-line history kept.
const COMMAND_HISTORY: usize = 50;

#[derive(Clone, Debug, Default)]
pub struct CommandHistory {
    lines: Vec<String>,
}

impl CommandHistory {
    /// Keeps a line that was run as the newest (an earlier copy of it goes).
    pub fn record(&mut self, line: &str) {
        if line.is_empty() {
            return;
        }
        self.lines.retain(|h| h != line);
        self.lines.push(line.to_string());
        if self.lines.len() > COMMAND_HISTORY {
            self.lines.remove(0);
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The line at `index`, oldest first.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.lines.get(index).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_kept_once_as_the_newest_and_the_oldest_go() {
        let mut history = CommandHistory::default();
        history.record("test a");
        history.record("poll");
        history.record("test a");
        history.record("");
        assert_eq!(history.len(), 2);
        assert_eq!(history.get(1), Some("test a"));
        for i in 0..COMMAND_HISTORY + 5 {
            history.record(&format!("poll {i}"));
        }
        assert_eq!(history.len(), COMMAND_HISTORY);
        assert_eq!(history.get(0), Some("poll 5"));
    }
}
