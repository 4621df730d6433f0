//! Colours and glyphs, chosen once from the terminal's capabilities and the flags: no colour
//! with `NO_COLOR` or `--no-color`, 16/256/true colour by `COLORTERM`/`TERM`, and ASCII-only
//! glyphs with `--ascii`. Health is always a symbol and a word; colour only adds to it.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;

use crate::stats::HealthStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorDepth {
    None,
    Basic16,
    Indexed256,
    TrueColor,
}

impl ColorDepth {
    /// From the environment: `NO_COLOR` (any non-empty value) wins, then `COLORTERM`, then `TERM`.
    pub fn detect(no_color_flag: bool) -> ColorDepth {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        if no_color_flag || !var("NO_COLOR").is_empty() || var("TERM") == "dumb" {
            return ColorDepth::None;
        }
        let colorterm = var("COLORTERM").to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            ColorDepth::TrueColor
        } else if var("TERM").contains("256color") {
            ColorDepth::Indexed256
        } else {
            ColorDepth::Basic16
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub depth: ColorDepth,
    pub ascii: bool,
}

impl Theme {
    pub fn new(depth: ColorDepth, ascii: bool) -> Theme {
        Theme { depth, ascii }
    }

    fn color(&self, basic: Color, indexed: u8, rgb: (u8, u8, u8)) -> Option<Color> {
        match self.depth {
            ColorDepth::None => None,
            ColorDepth::Basic16 => Some(basic),
            ColorDepth::Indexed256 => Some(Color::Indexed(indexed)),
            ColorDepth::TrueColor => Some(Color::Rgb(rgb.0, rgb.1, rgb.2)),
        }
    }

    fn fg(&self, basic: Color, indexed: u8, rgb: (u8, u8, u8)) -> Style {
        match self.color(basic, indexed, rgb) {
            Some(color) => Style::default().fg(color),
            None => Style::default(),
        }
    }

    pub fn health(&self, status: HealthStatus) -> Style {
        match status {
            HealthStatus::Healthy => self.fg(Color::Green, 34, (80, 200, 120)),
            HealthStatus::Degraded | HealthStatus::Warning => {
                self.fg(Color::Yellow, 178, (230, 180, 40))
            }
            HealthStatus::Down => self
                .fg(Color::Red, 160, (230, 70, 70))
                .add_modifier(Modifier::BOLD),
            HealthStatus::Unknown | HealthStatus::Disabled | HealthStatus::Unsupported => {
                self.fg(Color::DarkGray, 244, (140, 140, 140))
            }
        }
    }

    /// The health as a symbol and a word.
    pub fn health_label(&self, status: HealthStatus) -> &'static str {
        match (status, self.ascii) {
            (HealthStatus::Healthy, false) => "✓ healthy",
            (HealthStatus::Degraded, false) => "! degraded",
            (HealthStatus::Warning, false) => "▲ warning",
            (HealthStatus::Down, false) => "✗ down",
            (HealthStatus::Unknown, false) => "? unknown",
            (HealthStatus::Disabled, false) => "- disabled",
            (HealthStatus::Unsupported, false) => "· unsupported",
            (HealthStatus::Healthy, true) => "+ healthy",
            (HealthStatus::Degraded, true) => "! degraded",
            (HealthStatus::Warning, true) => "^ warning",
            (HealthStatus::Down, true) => "x down",
            (HealthStatus::Unknown, true) => "? unknown",
            (HealthStatus::Disabled, true) => "- disabled",
            (HealthStatus::Unsupported, true) => ". unsupported",
        }
    }

    /// Gauge fill by how full: green, then yellow from 75%, red from 90%.
    pub fn gauge(&self, percent: f64) -> Style {
        if percent >= 90.0 {
            self.fg(Color::Red, 160, (230, 70, 70))
        } else if percent >= 75.0 {
            self.fg(Color::Yellow, 178, (230, 180, 40))
        } else {
            self.fg(Color::Green, 34, (80, 200, 120))
        }
    }

    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan, 38, (90, 170, 230))
    }

    pub fn dim(&self) -> Style {
        match self.depth {
            ColorDepth::None => Style::default(),
            _ => self.fg(Color::DarkGray, 244, (140, 140, 140)),
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red, 160, (230, 70, 70))
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow, 178, (230, 180, 40))
    }

    /// The selected row / focused element: reverse video works without colour too.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn title(&self) -> Style {
        self.accent().add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.accent().add_modifier(Modifier::BOLD)
    }

    pub fn border_set(&self) -> symbols::border::Set<'static> {
        if self.ascii {
            symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            symbols::border::ROUNDED
        }
    }

    pub fn bar_set(&self) -> symbols::bar::Set<'static> {
        if self.ascii {
            symbols::bar::Set {
                full: "#",
                seven_eighths: "#",
                three_quarters: "=",
                five_eighths: "=",
                half: "-",
                three_eighths: "-",
                one_quarter: ".",
                one_eighth: ".",
                empty: " ",
            }
        } else {
            symbols::bar::NINE_LEVELS
        }
    }

    /// Filled and empty cells of a gauge drawn as text.
    pub fn gauge_cells(&self) -> (&'static str, &'static str) {
        if self.ascii {
            ("#", ".")
        } else {
            ("█", "░")
        }
    }

    pub fn stale_mark(&self) -> &'static str {
        "*"
    }

    pub fn spinner(&self, frame: usize) -> &'static str {
        const UNICODE: [&str; 4] = ["◐", "◓", "◑", "◒"];
        const ASCII: [&str; 4] = ["|", "/", "-", "\\"];
        if self.ascii {
            ASCII[frame % 4]
        } else {
            UNICODE[frame % 4]
        }
    }

    pub fn sort_arrow(&self, reverse: bool) -> &'static str {
        match (self.ascii, reverse) {
            (false, false) => "▲",
            (false, true) => "▼",
            (true, false) => "^",
            (true, true) => "v",
        }
    }
}
