//! The time range the detail's charts cover. Read from the kept history (poll resolution for
//! `history_hours`, 10-minute buckets up to 30 days), so every range but the shortest reaches
//! past what the engine holds in memory.

/// A range of the detail's charts, `[` and `]` step through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChartRange {
    Minutes15,
    #[default]
    Hour1,
    Hours24,
    Days7,
    Days30,
}

impl ChartRange {
    pub const ALL: [ChartRange; 5] = [
        ChartRange::Minutes15,
        ChartRange::Hour1,
        ChartRange::Hours24,
        ChartRange::Days7,
        ChartRange::Days30,
    ];

    /// How far back the range reaches, in seconds.
    pub fn secs(self) -> u64 {
        match self {
            ChartRange::Minutes15 => 15 * 60,
            ChartRange::Hour1 => 3600,
            ChartRange::Hours24 => 24 * 3600,
            ChartRange::Days7 => 7 * 86_400,
            ChartRange::Days30 => 30 * 86_400,
        }
    }

    /// As the title, the config file and `:range` write it.
    pub fn name(self) -> &'static str {
        match self {
            ChartRange::Minutes15 => "15m",
            ChartRange::Hour1 => "1h",
            ChartRange::Hours24 => "24h",
            ChartRange::Days7 => "7d",
            ChartRange::Days30 => "30d",
        }
    }

    /// The range named `name` (`15m`, `1h`, `24h`, `7d`, `30d`).
    pub fn parse(name: &str) -> Option<ChartRange> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Every range's name, for a message that lists them.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(ChartRange::name).collect()
    }

    /// The next longer range (or shorter), stopping at the ends.
    pub fn step(self, longer: bool) -> ChartRange {
        let i = Self::ALL.iter().position(|r| *r == self).unwrap_or(1);
        let j = if longer {
            (i + 1).min(Self::ALL.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        Self::ALL[j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_steps_stop_at_the_ends() {
        for range in ChartRange::ALL {
            assert_eq!(ChartRange::parse(range.name()), Some(range));
        }
        assert_eq!(ChartRange::parse(" 24H "), Some(ChartRange::Hours24));
        assert_eq!(ChartRange::parse("2h"), None);
        assert_eq!(ChartRange::Days30.step(true), ChartRange::Days30);
        assert_eq!(ChartRange::Minutes15.step(false), ChartRange::Minutes15);
        assert_eq!(ChartRange::Hour1.step(true), ChartRange::Hours24);
    }
}
