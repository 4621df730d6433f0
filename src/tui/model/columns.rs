//! The columns the backend list can show. Which of them are shown is decided by the width (and
//! the config file's `columns`); their names are what `:sort`, the config file and the header
//! use.

/// One column of the backend list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListColumn {
    Health,
    Id,
    Kind,
    /// Mean response time over the answered polls.
    Response,
    /// Fullness: used / (used + available) for filesystems, used / total otherwise.
    Used,
    /// Used against the quota.
    Quota,
    /// When the forecast says it will be full (`3h`, `9d`, `>1y`; `—` not filling; `?` too
    /// little history; blank without a limit).
    FullIn,
    /// Bytes used.
    UsedBytes,
    /// Bytes still available (filesystem free space, or what the quota leaves).
    Available,
    /// Objects, files or pins.
    Objects,
    /// When it was last checked, as an age.
    Checked,
    /// The recent response times as a one-row sparkline.
    Trend,
    /// The health message.
    Message,
    /// The fleet view's host (Prometheus' instance); shown only there.
    Host,
    /// The share of polls answered over 24 hours.
    Up24h,
    /// The share of polls answered over 30 days (only on a wide screen).
    Up30d,
}

impl ListColumn {
    pub const ALL: [ListColumn; 16] = [
        ListColumn::Health,
        ListColumn::Id,
        ListColumn::Kind,
        ListColumn::Response,
        ListColumn::Used,
        ListColumn::Quota,
        ListColumn::FullIn,
        ListColumn::UsedBytes,
        ListColumn::Available,
        ListColumn::Objects,
        ListColumn::Checked,
        ListColumn::Trend,
        ListColumn::Message,
        ListColumn::Host,
        ListColumn::Up24h,
        ListColumn::Up30d,
    ];

    /// As the config file and `:sort` name it.
    pub fn name(self) -> &'static str {
        match self {
            ListColumn::Health => "health",
            ListColumn::Id => "id",
            ListColumn::Kind => "kind",
            ListColumn::Response => "response",
            ListColumn::Used => "used",
            ListColumn::Quota => "quota",
            ListColumn::FullIn => "full_in",
            ListColumn::UsedBytes => "used_bytes",
            ListColumn::Available => "available",
            ListColumn::Objects => "objects",
            ListColumn::Checked => "checked",
            ListColumn::Trend => "trend",
            ListColumn::Message => "message",
            ListColumn::Host => "host",
            ListColumn::Up24h => "up_24h",
            ListColumn::Up30d => "up_30d",
        }
    }

    pub fn parse(name: &str) -> Option<ListColumn> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(ListColumn::name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for column in ListColumn::ALL {
            assert_eq!(ListColumn::parse(column.name()), Some(column));
        }
        assert_eq!(ListColumn::parse("bogus"), None);
    }
}
