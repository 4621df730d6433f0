//! Colours and glyphs, chosen once from the terminal's capabilities, the flags and the config
//! file: a palette of roles (accent, healthy, warning, error, dim, selection) from a shipped
//! theme with the file's `[colors]` over it; no colour with `NO_COLOR` or `--no-color`,
//! 16/256/true colour by `COLORTERM`/`TERM` (a colour is taken to the nearest the terminal
//! has), and ASCII-only glyphs with `--ascii`. Health is always a symbol and a word; colour
//! only adds to it.

use std::str::FromStr;

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

/// A colour as a theme or the config file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shade {
    /// Chosen by hand for each depth (the shipped themes): 16 colours, 256, true colour.
    Tiered {
        basic: Color,
        indexed: u8,
        rgb: (u8, u8, u8),
    },
    /// One of the terminal's 16 named colours (or its default), at every depth.
    Named(Color),
    /// A colour of the 256, the nearest of the 16 on a 16-colour terminal.
    Indexed(u8),
    /// True colour, the nearest of the 256 or the 16 where the terminal has only those.
    Rgb(u8, u8, u8),
}

const fn tiered(basic: Color, indexed: u8, rgb: (u8, u8, u8)) -> Shade {
    Shade::Tiered {
        basic,
        indexed,
        rgb,
    }
}

/// The 16 named colours in their index order, with the values xterm gives them.
const BASIC: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// The levels of each channel in the 256 colours' 6x6x6 cube.
const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

/// What colour `index` of the 256 is (xterm's values).
fn rgb_of_index(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => BASIC[usize::from(index)].1,
        16..=231 => {
            let i = usize::from(index - 16);
            (
                CUBE_LEVELS[i / 36],
                CUBE_LEVELS[(i / 6) % 6],
                CUBE_LEVELS[i % 6],
            )
        }
        _ => {
            let level = 8 + 10 * (index - 232);
            (level, level, level)
        }
    }
}

/// The nearest of the 256 colours (the cube and the grey ramp; the first 16 vary by terminal).
fn nearest_indexed(rgb: (u8, u8, u8)) -> u8 {
    (16..=255u8)
        .min_by_key(|i| distance(rgb_of_index(*i), rgb))
        .unwrap_or(16)
}

/// The nearest of the 16 named colours.
fn nearest_basic(rgb: (u8, u8, u8)) -> Color {
    BASIC
        .iter()
        .min_by_key(|(_, value)| distance(*value, rgb))
        .map_or(Color::Reset, |(color, _)| *color)
}

impl Shade {
    /// A colour as the config file writes it: a name (`green`, `light-blue`, `default`),
    /// `#1e90ff`, or an index of the 256 (`123`).
    pub fn parse(text: &str) -> Option<Shade> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("default") {
            return Some(Shade::Named(Color::Reset));
        }
        match Color::from_str(text).ok()? {
            Color::Indexed(index) => Some(Shade::Indexed(index)),
            Color::Rgb(r, g, b) => Some(Shade::Rgb(r, g, b)),
            named => Some(Shade::Named(named)),
        }
    }

    /// The colour at a depth (none without colour).
    fn at(self, depth: ColorDepth) -> Option<Color> {
        let basic = depth == ColorDepth::Basic16;
        let color = match self {
            Shade::Tiered {
                basic: named,
                indexed,
                rgb,
            } => match depth {
                ColorDepth::None => return None,
                ColorDepth::Basic16 => named,
                ColorDepth::Indexed256 => Color::Indexed(indexed),
                ColorDepth::TrueColor => Color::Rgb(rgb.0, rgb.1, rgb.2),
            },
            Shade::Named(color) => color,
            Shade::Indexed(index) if basic => BASIC
                .get(usize::from(index))
                .map_or_else(|| nearest_basic(rgb_of_index(index)), |(color, _)| *color),
            Shade::Indexed(index) => Color::Indexed(index),
            Shade::Rgb(r, g, b) => match depth {
                ColorDepth::TrueColor => Color::Rgb(r, g, b),
                ColorDepth::Indexed256 => Color::Indexed(nearest_indexed((r, g, b))),
                _ => nearest_basic((r, g, b)),
            },
        };
        (depth != ColorDepth::None).then_some(color)
    }
}

/// How one role is drawn: a colour, a background, and the attributes that need no colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paint {
    pub fg: Option<Shade>,
    pub bg: Option<Shade>,
    pub modifiers: Modifier,
}

impl Paint {
    const fn fg(shade: Shade) -> Paint {
        Paint {
            fg: Some(shade),
            bg: None,
            modifiers: Modifier::empty(),
        }
    }

    const fn plain(modifiers: Modifier) -> Paint {
        Paint {
            fg: None,
            bg: None,
            modifiers,
        }
    }

    const fn with(mut self, modifiers: Modifier) -> Paint {
        self.modifiers = self.modifiers.union(modifiers);
        self
    }
}

/// What the screen colours: each role one paint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Titles, keys, notices.
    Accent,
    Healthy,
    /// Degraded and warning health, quotas in alert, gauges from 75%.
    Warning,
    /// Down, errors, gauges from 90%.
    Error,
    /// Unknown and disabled backends, secondary text.
    Dim,
    /// The selected row.
    Selection,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Accent,
        Role::Healthy,
        Role::Warning,
        Role::Error,
        Role::Dim,
        Role::Selection,
    ];

    /// As the config file's `[colors]` names it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Accent => "accent",
            Role::Healthy => "healthy",
            Role::Warning => "warning",
            Role::Error => "error",
            Role::Dim => "dim",
            Role::Selection => "selection",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(Role::name).collect()
    }

    /// What it colours, for the commented default config file.
    pub fn description(self) -> &'static str {
        match self {
            Role::Accent => "titles, keys, notices",
            Role::Healthy => "healthy backends, gauges below 75%",
            Role::Warning => "degraded and warning health, quotas in alert, gauges from 75%",
            Role::Error => "down backends, errors, gauges from 90%",
            Role::Dim => "unknown and disabled backends, secondary text",
            Role::Selection => "the selected row's background (in place of reverse video)",
        }
    }
}

/// Every role's paint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    pub accent: Paint,
    pub healthy: Paint,
    pub warning: Paint,
    pub error: Paint,
    pub dim: Paint,
    pub selection: Paint,
}

impl Default for Palette {
    fn default() -> Palette {
        ThemeName::Default.palette()
    }
}

impl Palette {
    pub fn paint(&self, role: Role) -> Paint {
        match role {
            Role::Accent => self.accent,
            Role::Healthy => self.healthy,
            Role::Warning => self.warning,
            Role::Error => self.error,
            Role::Dim => self.dim,
            Role::Selection => self.selection,
        }
    }

    fn paint_mut(&mut self, role: Role) -> &mut Paint {
        match role {
            Role::Accent => &mut self.accent,
            Role::Healthy => &mut self.healthy,
            Role::Warning => &mut self.warning,
            Role::Error => &mut self.error,
            Role::Dim => &mut self.dim,
            Role::Selection => &mut self.selection,
        }
    }

    /// The config file's colour for a role: the text's colour, or for the selection its
    /// background (reverse video is then not needed).
    pub fn set(&mut self, role: Role, shade: Shade) {
        let paint = self.paint_mut(role);
        if role == Role::Selection {
            paint.bg = Some(shade);
            paint.modifiers.remove(Modifier::REVERSED);
        } else {
            paint.fg = Some(shade);
        }
    }
}

/// The shipped themes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThemeName {
    #[default]
    Default,
    /// For terminals with a light background: darker colours.
    Light,
    /// Bright colours, bold text.
    HighContrast,
    /// No colour at all: bold, underline and reverse video only.
    Mono,
}

impl ThemeName {
    pub const ALL: [ThemeName; 4] = [
        ThemeName::Default,
        ThemeName::Light,
        ThemeName::HighContrast,
        ThemeName::Mono,
    ];

    /// As the config file's `theme` names it.
    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Default => "default",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
            ThemeName::Mono => "mono",
        }
    }

    pub fn parse(name: &str) -> Option<ThemeName> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.into_iter().map(ThemeName::name).collect()
    }

    pub fn palette(self) -> Palette {
        let reverse = Paint::plain(Modifier::REVERSED);
        match self {
            ThemeName::Default => Palette {
                accent: Paint::fg(tiered(Color::Cyan, 38, (90, 170, 230))),
                healthy: Paint::fg(tiered(Color::Green, 34, (80, 200, 120))),
                warning: Paint::fg(tiered(Color::Yellow, 178, (230, 180, 40))),
                error: Paint::fg(tiered(Color::Red, 160, (230, 70, 70))),
                dim: Paint::fg(tiered(Color::DarkGray, 244, (140, 140, 140))),
                selection: reverse,
            },
            ThemeName::Light => Palette {
                accent: Paint::fg(tiered(Color::Blue, 25, (0, 95, 175))),
                healthy: Paint::fg(tiered(Color::Green, 28, (0, 135, 0))),
                warning: Paint::fg(tiered(Color::Magenta, 130, (175, 95, 0))),
                error: Paint::fg(tiered(Color::Red, 124, (175, 0, 0))),
                dim: Paint::fg(tiered(Color::DarkGray, 242, (108, 108, 108))),
                selection: reverse,
            },
            ThemeName::HighContrast => Palette {
                accent: Paint::fg(tiered(Color::LightCyan, 51, (0, 255, 255))).with(Modifier::BOLD),
                healthy: Paint::fg(tiered(Color::LightGreen, 46, (0, 255, 0))).with(Modifier::BOLD),
                warning: Paint::fg(tiered(Color::LightYellow, 226, (255, 255, 0)))
                    .with(Modifier::BOLD),
                error: Paint::fg(tiered(Color::LightRed, 196, (255, 64, 64))).with(Modifier::BOLD),
                // Nothing faint: secondary text is plain white.
                dim: Paint::fg(tiered(Color::White, 255, (238, 238, 238))),
                selection: Paint {
                    fg: Some(tiered(Color::Black, 16, (0, 0, 0))),
                    bg: Some(tiered(Color::LightYellow, 226, (255, 255, 0))),
                    modifiers: Modifier::BOLD,
                },
            },
            ThemeName::Mono => Palette {
                accent: Paint::plain(Modifier::BOLD),
                healthy: Paint::plain(Modifier::empty()),
                warning: Paint::plain(Modifier::UNDERLINED),
                error: Paint::plain(Modifier::BOLD.union(Modifier::UNDERLINED)),
                dim: Paint::plain(Modifier::empty()),
                selection: reverse,
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub depth: ColorDepth,
    pub ascii: bool,
    /// Every role's style at this depth, by `Role as usize`: worked out once, not per cell.
    styles: [Style; 6],
}

/// The style of each role of `palette` at `depth`, in `Role::ALL`'s order.
fn role_styles(palette: &Palette, depth: ColorDepth) -> [Style; 6] {
    Role::ALL.map(|role| {
        let paint = palette.paint(role);
        let mut style = Style::default().add_modifier(paint.modifiers);
        if let Some(color) = paint.fg.and_then(|shade| shade.at(depth)) {
            style = style.fg(color);
        }
        if let Some(color) = paint.bg.and_then(|shade| shade.at(depth)) {
            style = style.bg(color);
        }
        style
    })
}

impl Theme {
    /// The default theme at a depth.
    pub fn new(depth: ColorDepth, ascii: bool) -> Theme {
        Theme {
            depth,
            ascii,
            styles: role_styles(&Palette::default(), depth),
        }
    }

    /// This theme with another palette (a shipped theme, the config file's colours).
    pub fn with_palette(self, palette: Palette) -> Theme {
        Theme {
            styles: role_styles(&palette, self.depth),
            ..self
        }
    }

    /// A role's style at this theme's depth.
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    pub fn health(&self, status: HealthStatus) -> Style {
        match status {
            HealthStatus::Healthy => self.style(Role::Healthy),
            HealthStatus::Degraded | HealthStatus::Warning => self.style(Role::Warning),
            HealthStatus::Down | HealthStatus::Full => {
                self.style(Role::Error).add_modifier(Modifier::BOLD)
            }
            HealthStatus::Unknown | HealthStatus::Disabled | HealthStatus::Unsupported => {
                self.style(Role::Dim)
            }
        }
    }

    /// The health as a symbol and a word.
    pub fn health_label(&self, status: HealthStatus) -> &'static str {
        match (status, self.ascii) {
            (HealthStatus::Healthy, false) => "✓ healthy",
            (HealthStatus::Degraded, false) => "! degraded",
            (HealthStatus::Warning, false) => "▲ warning",
            (HealthStatus::Full, false) => "■ full",
            (HealthStatus::Down, false) => "✗ down",
            (HealthStatus::Unknown, false) => "? unknown",
            (HealthStatus::Disabled, false) => "- disabled",
            (HealthStatus::Unsupported, false) => "· unsupported",
            (HealthStatus::Healthy, true) => "+ healthy",
            (HealthStatus::Degraded, true) => "! degraded",
            (HealthStatus::Warning, true) => "^ warning",
            (HealthStatus::Full, true) => "# full",
            (HealthStatus::Down, true) => "x down",
            (HealthStatus::Unknown, true) => "? unknown",
            (HealthStatus::Disabled, true) => "- disabled",
            (HealthStatus::Unsupported, true) => ". unsupported",
        }
    }

    /// Gauge fill by how full: the healthy colour, then warning from 75%, error from 90%.
    pub fn gauge(&self, percent: f64) -> Style {
        if percent >= 90.0 {
            self.style(Role::Error)
        } else if percent >= 75.0 {
            self.style(Role::Warning)
        } else {
            self.style(Role::Healthy)
        }
    }

    pub fn accent(&self) -> Style {
        self.style(Role::Accent)
    }

    /// A backend in a maintenance window: planned, so neither healthy nor in trouble.
    pub fn maintenance(&self) -> Style {
        self.style(Role::Accent)
    }

    /// What a backend's row says instead of its health while it is in maintenance (the time
    /// left follows).
    pub fn maintenance_label(&self) -> &'static str {
        if self.ascii {
            "~ maintenance"
        } else {
            "◷ maintenance"
        }
    }

    pub fn dim(&self) -> Style {
        self.style(Role::Dim)
    }

    pub fn error(&self) -> Style {
        self.style(Role::Error)
    }

    pub fn warning(&self) -> Style {
        self.style(Role::Warning)
    }

    /// The selected row / focused element: reverse video works without colour too, and stands
    /// in for a background colour the terminal cannot show.
    pub fn selected(&self) -> Style {
        let style = self.style(Role::Selection);
        if style.bg.is_none() && !style.add_modifier.contains(Modifier::REVERSED) {
            return style.add_modifier(Modifier::REVERSED);
        }
        style
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

    /// What ends a text cut to a width.
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "..."
        } else {
            "…"
        }
    }

    /// The mark before the id of a backend with an active alert that is not silenced: a glyph
    /// no health state uses (`▲` is warning, `!` degraded), in both sets.
    pub fn alert_mark(&self) -> &'static str {
        if self.ascii {
            "@"
        } else {
            "◆"
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_meaning_has_its_own_glyph_in_both_sets() {
        for ascii in [false, true] {
            let theme = Theme::new(ColorDepth::None, ascii);
            let mut glyphs: Vec<(&str, String)> = HealthStatus::ALL
                .into_iter()
                .map(|status| {
                    let label = theme.health_label(status);
                    let glyph = label.split_whitespace().next().unwrap_or_default();
                    (glyph, format!("health {}", status.as_str()))
                })
                .collect();
            glyphs.push((theme.alert_mark(), "an active alert".into()));
            glyphs.push((theme.stale_mark(), "last-known figures".into()));
            for (i, (glyph, meaning)) in glyphs.iter().enumerate() {
                for (other, other_meaning) in &glyphs[i + 1..] {
                    assert_ne!(
                        glyph, other,
                        "ascii {ascii}: {glyph} means {meaning} and {other_meaning}"
                    );
                }
                assert!(!ascii || glyph.is_ascii(), "{glyph} under --ascii");
            }
        }
    }

    #[test]
    fn the_default_theme_keeps_its_colours_at_every_depth() {
        let at = |depth| Theme::new(depth, false);
        assert_eq!(
            at(ColorDepth::Basic16).health(HealthStatus::Healthy),
            Style::default().fg(Color::Green)
        );
        assert_eq!(
            at(ColorDepth::Indexed256).warning(),
            Style::default().fg(Color::Indexed(178))
        );
        assert_eq!(
            at(ColorDepth::TrueColor).health(HealthStatus::Down),
            Style::default()
                .fg(Color::Rgb(230, 70, 70))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            at(ColorDepth::Basic16).key(),
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(at(ColorDepth::None).dim(), Style::default());
        assert_eq!(
            at(ColorDepth::None).health(HealthStatus::Down),
            Style::default().add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            at(ColorDepth::TrueColor).selected(),
            Style::default().add_modifier(Modifier::REVERSED)
        );
    }

    #[test]
    fn colours_are_read_as_names_hex_and_indexes() {
        assert_eq!(Shade::parse("green"), Some(Shade::Named(Color::Green)));
        assert_eq!(
            Shade::parse("light-blue"),
            Some(Shade::Named(Color::LightBlue))
        );
        assert_eq!(Shade::parse("#1e90ff"), Some(Shade::Rgb(30, 144, 255)));
        assert_eq!(Shade::parse("123"), Some(Shade::Indexed(123)));
        assert_eq!(Shade::parse("default"), Some(Shade::Named(Color::Reset)));
        for bad in ["", "grean", "#12345", "#gggggg", "256", "-1"] {
            assert_eq!(Shade::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_colour_is_taken_to_the_nearest_the_terminal_has() {
        let dodger = Shade::Rgb(30, 144, 255);
        assert_eq!(
            dodger.at(ColorDepth::TrueColor),
            Some(Color::Rgb(30, 144, 255))
        );
        // 33 is (0, 135, 255) in the cube.
        assert_eq!(dodger.at(ColorDepth::Indexed256), Some(Color::Indexed(33)));
        assert_eq!(dodger.at(ColorDepth::Basic16), Some(Color::LightBlue));
        assert_eq!(dodger.at(ColorDepth::None), None);
        assert_eq!(
            Shade::Indexed(196).at(ColorDepth::Basic16),
            Some(Color::LightRed)
        );
        assert_eq!(Shade::Indexed(1).at(ColorDepth::Basic16), Some(Color::Red));
        assert_eq!(
            Shade::Indexed(196).at(ColorDepth::TrueColor),
            Some(Color::Indexed(196))
        );
        // NO_COLOR and --no-color win over the config file's colours too.
        let mut palette = Palette::default();
        palette.set(Role::Accent, dodger);
        let plain = Theme::new(ColorDepth::None, false).with_palette(palette);
        assert_eq!(plain.accent(), Style::default());
    }

    #[test]
    fn the_shipped_themes_differ_and_mono_has_no_colour() {
        let palettes: Vec<Palette> = ThemeName::ALL.iter().map(|t| t.palette()).collect();
        for (i, a) in palettes.iter().enumerate() {
            for b in &palettes[i + 1..] {
                assert_ne!(a.accent, b.accent);
            }
        }
        let mono = Theme::new(ColorDepth::TrueColor, false).with_palette(ThemeName::Mono.palette());
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(
                role as usize, i,
                "Theme::style indexes by the declaration order"
            );
        }
        for role in Role::ALL {
            let style = mono.style(role);
            assert_eq!((style.fg, style.bg), (None, None), "{role:?}");
        }
        assert!(mono.error().add_modifier.contains(Modifier::BOLD));
        assert!(mono.warning().add_modifier.contains(Modifier::UNDERLINED));
        assert_eq!(
            mono.selected(),
            Style::default().add_modifier(Modifier::REVERSED)
        );
        // A selection with a background colour falls back to reverse video without colour.
        let contrast = ThemeName::HighContrast.palette();
        let shown = Theme::new(ColorDepth::Basic16, false).with_palette(contrast);
        assert_eq!(shown.selected().bg, Some(Color::LightYellow));
        let plain = Theme::new(ColorDepth::None, false).with_palette(contrast);
        assert!(plain.selected().add_modifier.contains(Modifier::REVERSED));
        for name in ThemeName::names() {
            assert_eq!(ThemeName::parse(name).map(ThemeName::name), Some(name));
        }
        assert_eq!(
            ThemeName::parse("High_Contrast"),
            Some(ThemeName::HighContrast)
        );
    }
}
