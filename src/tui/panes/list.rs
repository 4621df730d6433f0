//! The list of backends: one row each (health word and colour, id, kind, response, used, quota),
//! columns dropped as the width shrinks; a backend in alert (not silenced) is marked before its
//! id, and a quota in alert is in the warning colour (the error colour when full). Its title says
//! the count, the sort, the filter, PAUSED, the active alerts and the dashboard's read-only
//! backends. The filter line is typed here (`/`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState};
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::percent_text;
use crate::monitor::alerts::Rule;
use crate::text::{bytes_compact, count_compact, sanitize};
use crate::tui::model::{FigureColumn, ListColumn, Row, SortColumn};
use crate::tui::state::App;
use crate::tui::state::Pane;
use crate::tui::theme::Theme;
use crate::tui::widgets::Hint;
use crate::tui::widgets::{block, fit};

/// The footer while the filter is typed.
pub const FILTER_HINTS: &[Hint] = &[("Enter", "keep filter"), ("Esc", "clear")];

/// What a key did to the filter being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOutcome {
    /// Still typing: the filter is now this.
    Typing(String),
    /// Enter: the filter stays as it is, the line closes.
    Kept,
    /// Esc: no filter, the line closes.
    Cleared,
}

/// A key while the filter is typed.
pub fn filter_key(input: &mut Input, key: KeyEvent) -> FilterOutcome {
    match key.code {
        KeyCode::Enter => FilterOutcome::Kept,
        KeyCode::Esc => FilterOutcome::Cleared,
        _ => {
            input.handle_event(&crossterm::event::Event::Key(key));
            FilterOutcome::Typing(input.value().to_string())
        }
    }
}

/// The USED, QUOTA and FULL cells' style: a filesystem (capacity) or quota in alert is in the
/// warning colour, the error colour when it is the one that is full.
fn fullness_style(row: &Row, shown: Shown, theme: &Theme) -> Style {
    let has = |rule: Rule| row.stats.alerts.iter().any(|a| a.rule == rule.as_str());
    let brim = |p: Option<f64>| p.is_some_and(|p| p >= 99.9);
    let (rule, percent) = match shown {
        Shown::Column(ListColumn::Used) => (Rule::Capacity, row.used_percent()),
        Shown::Column(ListColumn::Quota) => (Rule::Quota, row.quota_percent()),
        Shown::Fullest => match row.fullest_percent() {
            Some((p, true)) => (Rule::Quota, Some(p)),
            Some((p, false)) => (Rule::Capacity, Some(p)),
            None => return Style::default(),
        },
        Shown::Column(_) => return Style::default(),
    };
    if percent.is_none() {
        // An unknown figure is not coloured as if it were the full one.
        Style::default()
    } else if has(Rule::Full) && brim(percent) {
        theme.error()
    } else if has(rule) || has(Rule::Full) {
        theme.warning()
    } else {
        Style::default()
    }
}

/// The FULL IN cell's style: the warning colour while a filling alert is active, the error
/// colour when the projection is already at the limit.
fn full_in_style(row: &Row, text: &str, theme: &Theme) -> Style {
    let filling = row
        .stats
        .alerts
        .iter()
        .any(|a| a.rule == Rule::Filling.as_str());
    if text == "now" {
        theme.error()
    } else if filling {
        theme.warning()
    } else {
        Style::default()
    }
}

/// A share of polls answered in six cells: `100%` only when every poll answered, else cut
/// (never rounded) to two decimals, so that 99.996% does not read as 100%.
pub fn availability_text(percent: f64) -> String {
    if percent >= 100.0 {
        "100%".into()
    } else {
        format!("{:.2}%", (percent * 100.0).floor() / 100.0)
    }
}

/// Availability below 95% in the error colour, below 99% in the warning one.
pub fn availability_style(percent: Option<f64>, theme: &Theme) -> Style {
    match percent {
        Some(p) if p < 95.0 => theme.error(),
        Some(p) if p < 99.0 => theme.warning(),
        _ => Style::default(),
    }
}

/// A column as drawn: one of the list's columns, or the fuller of USED and QUOTA in one when
/// the two do not both fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Column(ListColumn),
    Fullest,
}

impl Shown {
    fn header(self) -> &'static str {
        match self {
            Shown::Fullest => "FULL",
            Shown::Column(column) => match column {
                ListColumn::Health => "HEALTH",
                ListColumn::Id => "ID",
                ListColumn::Kind => "KIND",
                ListColumn::Response => "RESP",
                ListColumn::Used => "USED",
                ListColumn::Quota => "QUOTA",
                ListColumn::FullIn => "FULL IN",
                ListColumn::UsedBytes => "BYTES",
                ListColumn::Available => "AVAIL",
                ListColumn::Objects => "OBJECTS",
                ListColumn::Checked => "CHECKED",
                ListColumn::Trend => "TREND",
                ListColumn::Message => "MESSAGE",
                ListColumn::Host => "HOST",
                ListColumn::Up24h => "UP 24H",
                ListColumn::Up30d => "UP 30D",
            },
        }
    }

    /// The sort a click on this column's header asks for.
    pub fn sort(self) -> Option<SortColumn> {
        Some(match self {
            Shown::Fullest => SortColumn::Fullest,
            Shown::Column(column) => match column {
                ListColumn::Health => SortColumn::Health,
                ListColumn::Id => SortColumn::Id,
                ListColumn::Kind => SortColumn::Kind,
                ListColumn::Response => SortColumn::Response,
                ListColumn::Used => SortColumn::Used,
                ListColumn::Quota => SortColumn::Quota,
                ListColumn::FullIn => SortColumn::FullIn,
                ListColumn::UsedBytes => SortColumn::UsedBytes,
                ListColumn::Available => SortColumn::Available,
                ListColumn::Objects => SortColumn::Objects,
                ListColumn::Checked => SortColumn::Checked,
                ListColumn::Host => SortColumn::Host,
                ListColumn::Up24h => SortColumn::Up24h,
                ListColumn::Up30d => SortColumn::Up30d,
                ListColumn::Trend | ListColumn::Message => return None,
            },
        })
    }
}

/// The widest the ID column grows: longer ids are cut with `…` (`...` under --ascii).
const ID_CAP: u16 = 28;
/// The ID column's width while the essential columns are being fitted.
const ID_MIN: u16 = 12;
const SPACING: u16 = 1;
const TREND_MIN: u16 = 10;
const TREND_MAX: u16 = 30;
const MESSAGE_MIN: u16 = 16;
/// The widest the fleet view's HOST column grows.
const HOST_CAP: u16 = 24;

/// The widths the columns start from, as the rows need them.
struct Widths {
    health: u16,
    /// The marks before the ids (an alert's), when any row has one.
    marks: u16,
    longest_id: u16,
    id_natural: u16,
    /// The fleet view's host column: as wide as the longest host, within bounds.
    host: Option<u16>,
    /// Whether any backend has a forecast (a limit to fill): else `FULL IN` is not shown.
    forecasts: bool,
}

impl Widths {
    fn of(rows: &[Row], any_marked: bool) -> Widths {
        let unsupported = rows
            .iter()
            .any(|r| r.stats.health.status == crate::stats::HealthStatus::Unsupported);
        let marks = if any_marked { 2 } else { 0 };
        let in_maintenance = rows.iter().any(|r| r.stats.maintenance.is_some());
        let longest_id = rows
            .iter()
            .map(|r| {
                let stale = if r.stats.stale { 1 } else { 0 };
                r.shown_id().chars().count() as u16 + stale
            })
            .max()
            .unwrap_or(2);
        Widths {
            // "· unsupported" and "◷ maintenance 1h59m" are the labels longer than ten cells:
            // widen only when shown.
            health: if in_maintenance {
                19
            } else if unsupported {
                13
            } else {
                10
            },
            marks,
            longest_id,
            id_natural: (longest_id + marks).clamp(8, ID_CAP),
            host: rows
                .iter()
                .filter_map(|r| r.host.as_ref())
                .map(|h| h.chars().count() as u16)
                .max()
                .map(|w| w.clamp(6, HOST_CAP)),
            forecasts: rows.iter().any(|r| r.stats.forecast.is_some()),
        }
    }

    /// Whether `column` has anything to show in these rows (a host, a forecast).
    fn has(&self, column: ListColumn) -> bool {
        match column {
            ListColumn::Host => self.host.is_some(),
            ListColumn::FullIn => self.forecasts,
            _ => true,
        }
    }

    /// A column's width before what is left over is shared out.
    fn fixed(&self, shown: Shown) -> u16 {
        match shown {
            Shown::Fullest => 7,
            Shown::Column(column) => match column {
                ListColumn::Health => self.health,
                ListColumn::Id => self.id_natural,
                ListColumn::Kind => 12,
                ListColumn::Response => 6,
                ListColumn::Used | ListColumn::Quota => 6,
                ListColumn::FullIn => 7,
                ListColumn::UsedBytes | ListColumn::Available => 9,
                ListColumn::Objects | ListColumn::Checked => 7,
                ListColumn::Trend => TREND_MIN,
                ListColumn::Message => MESSAGE_MIN,
                ListColumn::Host => self.host.unwrap_or(0),
                ListColumn::Up24h | ListColumn::Up30d => 6,
            },
        }
    }
}

/// The inner width at which `plan_columns` shows every column of `wanted` (the id at its
/// natural width, the others at their least): what the layout gives the list on a screen wide
/// enough for it.
pub fn full_width(wanted: &[ListColumn], rows: &[Row], any_marked: bool) -> u16 {
    let widths = Widths::of(rows, any_marked);
    let shown: Vec<ListColumn> = ListColumn::ALL
        .into_iter()
        .filter(|c| matches!(c, ListColumn::Health | ListColumn::Id) || wanted.contains(c))
        .filter(|c| widths.has(*c))
        // Availability takes the room left over (see `plan_columns`): not asked for here.
        .filter(|c| !matches!(c, ListColumn::Up24h | ListColumn::Up30d))
        .collect();
    shown
        .iter()
        .map(|c| widths.fixed(Shown::Column(*c)))
        .sum::<u16>()
        + SPACING * (shown.len().saturating_sub(1) as u16)
}

/// The columns shown once the id has its natural width, in order, as the width allows.
const EXTRAS: [ListColumn; 7] = [
    ListColumn::FullIn,
    ListColumn::UsedBytes,
    ListColumn::Available,
    ListColumn::Objects,
    ListColumn::Checked,
    ListColumn::Trend,
    ListColumn::Message,
];

/// The columns that fit `width` (the list's inner width), left to right, with their widths.
/// The health and the id always; then, as the width allows, the fuller of used and quota, the
/// response time, used and quota apart, the kind (so narrowing drops the kind first), and the
/// extras: bytes used, available, objects, last check, a trend sparkline, the message. Only
/// columns in `wanted` (the config file's set) are considered.
pub fn plan_columns(
    width: u16,
    wanted: &[ListColumn],
    rows: &[Row],
    any_marked: bool,
) -> Vec<(Shown, u16)> {
    let widths = Widths::of(rows, any_marked);
    // The fleet view (rows with a host) reads Prometheus, which keeps no availability.
    let fleet = widths.host.is_some();
    let wants = |c: ListColumn| {
        wanted.contains(&c) && !(fleet && matches!(c, ListColumn::Up24h | ListColumn::Up30d))
    };
    let Widths {
        marks,
        longest_id,
        id_natural,
        host: host_width,
        ..
    } = widths;
    let id_min = id_natural.min(ID_MIN);
    let fixed = |shown: Shown| widths.fixed(shown);
    let used = |shown: &[Shown], id: u16| -> u16 {
        shown
            .iter()
            .map(|s| match s {
                Shown::Column(ListColumn::Id) => id,
                other => fixed(*other),
            })
            .sum::<u16>()
            + SPACING * (shown.len().saturating_sub(1) as u16)
    };
    let mut shown = vec![
        Shown::Column(ListColumn::Health),
        Shown::Column(ListColumn::Id),
    ];
    // The essentials, with the id at its minimum.
    let fits = |shown: &[Shown], id: u16| used(shown, id) <= width;
    let percent_wanted = wants(ListColumn::Used) || wants(ListColumn::Quota);
    if percent_wanted {
        shown.push(Shown::Fullest);
        // Before any other column, even if the id has to shrink to its least for it.
        if !fits(&shown, id_natural.min(8)) {
            shown.pop();
        }
    }
    if wants(ListColumn::Response) {
        let at = shown.len().min(2);
        shown.insert(at, Shown::Column(ListColumn::Response));
        if !fits(&shown, id_min) {
            shown.remove(at);
        }
    }
    if let Some(full) = shown.iter().position(|s| *s == Shown::Fullest) {
        let apart: Vec<Shown> = [ListColumn::Used, ListColumn::Quota]
            .into_iter()
            .filter(|c| wants(*c))
            .map(Shown::Column)
            .collect();
        let mut split = shown.clone();
        split.splice(full..=full, apart);
        if fits(&split, id_min) {
            shown = split;
        }
    }
    // In the fleet view the host comes right after the id, before the kind: which machine a
    // backend is on matters more than its kind there.
    if host_width.is_some() && wants(ListColumn::Host) {
        shown.insert(2, Shown::Column(ListColumn::Host));
        if !fits(&shown, id_min) {
            shown.remove(2);
        }
    }
    if wants(ListColumn::Kind) {
        let at = if shown.contains(&Shown::Column(ListColumn::Host)) {
            3
        } else {
            2
        };
        shown.insert(at, Shown::Column(ListColumn::Kind));
        if !fits(&shown, id_min) {
            shown.remove(at);
        }
    }
    // The id at its natural width before any extra.
    let mut id = if fits(&shown, id_natural) {
        id_natural
    } else {
        width
            .saturating_sub(used(&shown, 0))
            .clamp(id_min.min(8), id_natural)
    };
    if id == id_natural {
        for extra in EXTRAS {
            if wants(extra) && widths.has(extra) {
                shown.push(Shown::Column(extra));
                if !fits(&shown, id) {
                    shown.pop();
                }
            }
        }
        // Availability in the room left over, before the trend and the message: the day's, then
        // the month's beside it once every other column fits.
        let all_shown = EXTRAS
            .into_iter()
            .all(|c| !wants(c) || !widths.has(c) || shown.contains(&Shown::Column(c)));
        if wants(ListColumn::Up24h) {
            let at = shown
                .iter()
                .position(|s| matches!(s, Shown::Column(ListColumn::Trend | ListColumn::Message)))
                .unwrap_or(shown.len());
            shown.insert(at, Shown::Column(ListColumn::Up24h));
            if !fits(&shown, id) {
                shown.remove(at);
            } else if all_shown && wants(ListColumn::Up30d) {
                shown.insert(at + 1, Shown::Column(ListColumn::Up30d));
                // Not at the cost of the message: it keeps twice its least beside it.
                let message_room = if shown.contains(&Shown::Column(ListColumn::Message)) {
                    MESSAGE_MIN
                } else {
                    0
                };
                if used(&shown, id) + message_room > width {
                    shown.remove(at + 1);
                }
            }
        }
    }
    // What is left widens the message, else the trend, else the id (up to its cap).
    let mut spare = width.saturating_sub(used(&shown, id));
    let mut widths: Vec<(Shown, u16)> = shown
        .iter()
        .map(|s| {
            (
                *s,
                match s {
                    Shown::Column(ListColumn::Id) => id,
                    other => fixed(*other),
                },
            )
        })
        .collect();
    if let Some(message) = widths
        .iter_mut()
        .find(|(s, _)| *s == Shown::Column(ListColumn::Message))
    {
        message.1 += spare;
        spare = 0;
    }
    if let Some(trend) = widths
        .iter_mut()
        .find(|(s, _)| *s == Shown::Column(ListColumn::Trend))
    {
        let grow = spare.min(TREND_MAX - TREND_MIN);
        trend.1 += grow;
        spare -= grow;
    }
    if id < ID_CAP {
        let grow = spare
            .min(ID_CAP - id)
            .min(longest_id.saturating_add(marks).saturating_sub(id));
        id += grow;
        if let Some(entry) = widths
            .iter_mut()
            .find(|(s, _)| *s == Shown::Column(ListColumn::Id))
        {
            entry.1 = id;
        }
    }
    widths
}

/// The recent response times as one row of bars from a zero baseline: every answered poll is
/// at least the lowest bar (never blank), a failed poll is `×`, no poll is a space.
fn trend_spans(row: &Row, width: u16, theme: &Theme, dim: bool) -> Line<'static> {
    const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
    const ASCII_BARS: [&str; 8] = ["_", ".", ":", "-", "=", "+", "*", "#"];
    let bars = if theme.ascii { &ASCII_BARS } else { &BARS };
    let failed = if theme.ascii { "x" } else { "×" };
    let points: Vec<_> = row
        .history
        .iter()
        .skip(row.history.len().saturating_sub(width as usize))
        .collect();
    let max = points
        .iter()
        .filter_map(|p| p.response_ms)
        .fold(0.0f32, f32::max);
    let style = if dim { theme.dim() } else { theme.accent() };
    let mut spans = Vec::with_capacity(points.len());
    for point in points {
        match point.response_ms {
            Some(ms) => {
                let level = if max > 0.0 {
                    ((ms / max) * 8.0).ceil() as usize
                } else {
                    1
                };
                spans.push(Span::styled(bars[level.clamp(1, 8) - 1], style));
            }
            None => spans.push(Span::styled(failed, theme.error())),
        }
    }
    Line::from(spans)
}

/// An age that changes at most once a minute (`<1m`, `5m`, `3h`, `2d`): a column of ages
/// ticking every second would redraw every row every second, over SSH.
fn minute_age(secs: i64) -> String {
    match secs.max(0) {
        0..=59 => "<1m".into(),
        s @ 60..=3599 => format!("{}m", s / 60),
        s @ 3600..=86_399 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A local clock time for a narrow column: `14:03`.
fn clock_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M").to_string())
        .unwrap_or_else(|| "?".into())
}

/// Where the list is in its rows: "21–49 of 59" (nothing when every row is shown).
pub fn scroll_position(offset: usize, page: usize, len: usize, ascii: bool) -> Option<String> {
    if len <= page {
        return None;
    }
    let first = offset.min(len.saturating_sub(page)) + 1;
    let last = (first + page - 1).min(len);
    let dash = if ascii { "-" } else { "–" };
    Some(format!(" {first}{dash}{last} of {len} "))
}

/// The text of one figure cell (`?` when unknown).
fn figure_cell(
    shown: Shown,
    row: &Row,
    app: &App,
    theme: &Theme,
    width: u16,
    old: bool,
) -> Cell<'static> {
    let stats = &row.stats;
    let unknown = || "?".to_string();
    let text = match shown {
        Shown::Fullest => match row.fullest_percent() {
            Some((p, true)) => format!("{p:.0}%q"),
            Some((p, false)) => format!("{p:.1}%"),
            None => unknown(),
        },
        Shown::Column(column) => match column {
            ListColumn::Health | ListColumn::Id => String::new(),
            ListColumn::Kind => fit(&sanitize(&stats.kind, 64), usize::from(width), theme),
            ListColumn::Response => match (stats.stale, stats.performance.avg_response_time) {
                (false, Some(ms)) => crate::text::millis_compact(ms),
                _ => unknown(),
            },
            ListColumn::Used => percent_text(row.used_percent()),
            ListColumn::Quota => percent_text(row.quota_percent()),
            ListColumn::FullIn => stats
                .forecast
                .as_ref()
                .map(|f| f.label(u64::try_from(app.now).unwrap_or(0)))
                .unwrap_or_default(),
            ListColumn::UsedBytes => row.used_bytes().map_or_else(unknown, bytes_compact),
            ListColumn::Available => row.available_bytes().map_or_else(unknown, bytes_compact),
            ListColumn::Objects => match row.objects() {
                // A count carried over several runs is at least that much, and says so.
                Some((n, true)) => format!("≥{}", count_compact(n)),
                Some((n, false)) => count_compact(n),
                None => unknown(),
            },
            ListColumn::Checked => match row.checked_at() {
                Some(at) if app.absolute_times => clock_time(at),
                Some(at) => minute_age(app.now - at),
                None => "never".into(),
            },
            ListColumn::Trend => return Cell::from(trend_spans(row, width, theme, old)),
            ListColumn::Message => fit(
                &sanitize(stats.health.message.as_deref().unwrap_or(""), 200),
                usize::from(width),
                theme,
            ),
            ListColumn::Host => fit(
                &sanitize(row.host.as_deref().unwrap_or(""), 64),
                usize::from(width),
                theme,
            ),
            ListColumn::Up24h => row.up_24h().map_or_else(unknown, availability_text),
            ListColumn::Up30d => row.up_30d().map_or_else(unknown, availability_text),
        },
    };
    let mut style = match shown {
        Shown::Column(ListColumn::Quota | ListColumn::Used) | Shown::Fullest => {
            fullness_style(row, shown, theme)
        }
        Shown::Column(ListColumn::FullIn) => full_in_style(row, &text, theme),
        Shown::Column(ListColumn::Up24h) => availability_style(row.up_24h(), theme),
        Shown::Column(ListColumn::Up30d) => availability_style(row.up_30d(), theme),
        _ => Style::default(),
    };
    // A figure older than one poll (counted by an inventory, kept from a call that failed)
    // carries its age where the cell has room for it, and is dimmed: it is not the present.
    let figure_age = figure_column(shown).and_then(|column| row.column_age(column, app.now));
    let text = match figure_age {
        Some(age) if text != "?" => with_age(&text, &compact_figure(shown, row), age, width),
        _ => text,
    };
    // Figures from an earlier answer are dimmed, as in the detail (not the message).
    let dim = old || figure_age.is_some();
    if dim && shown != Shown::Column(ListColumn::Message) && style == Style::default() {
        style = theme.dim();
    }
    Cell::from(text).style(style)
}

/// The group of figures a column draws from, for its age.
fn figure_column(shown: Shown) -> Option<FigureColumn> {
    Some(match shown {
        Shown::Fullest => FigureColumn::Fullest,
        Shown::Column(ListColumn::Used) => FigureColumn::Used,
        Shown::Column(ListColumn::Quota) => FigureColumn::Quota,
        Shown::Column(ListColumn::UsedBytes) => FigureColumn::UsedBytes,
        Shown::Column(ListColumn::Available) => FigureColumn::Available,
        Shown::Column(ListColumn::Objects) => FigureColumn::Objects,
        Shown::Column(_) => return None,
    })
}

/// A shorter form of a percentage cell (`80%` for `79.5%`), to leave room for an age.
fn compact_figure(shown: Shown, row: &Row) -> String {
    let whole = |p: Option<f64>| p.map(|p| format!("{p:.0}%"));
    match shown {
        Shown::Fullest => whole(row.fullest_percent().map(|(p, _)| p)),
        Shown::Column(ListColumn::Used) => whole(row.used_percent()),
        Shown::Column(ListColumn::Quota) => whole(row.quota_percent()),
        _ => None,
    }
    .unwrap_or_default()
}

/// `figure·age` (`79.5%·1h`, else `80%·1h`) when it fits `width`; else the figure alone (its dim
/// style still says it is old, and the detail says how old).
fn with_age(figure: &str, compact: &str, age_secs: i64, width: u16) -> String {
    let age = minute_age(age_secs);
    let fits = |text: &str| text.chars().count() <= usize::from(width);
    [figure, compact]
        .into_iter()
        .filter(|f| !f.is_empty())
        .map(|f| format!("{f}·{age}"))
        .find(|text| fits(text))
        .unwrap_or_else(|| figure.to_string())
}

/// Whether any visible row has the alert mark before its id (its column is kept for all).
pub fn any_marked(app: &App) -> bool {
    app.backends
        .visible()
        .any(|row| app.alerts.in_alert(&row.stats, app.now))
}

/// The columns as the list in `area` draws them now.
fn plan_for(app: &App, area: Rect) -> (Vec<(Shown, u16)>, bool) {
    let any_marked = any_marked(app);
    let plan = plan_columns(
        area.width.saturating_sub(2),
        &app.list_columns,
        app.backends.rows(),
        any_marked,
    );
    (plan, any_marked)
}

/// What a click at (`x`, `y`) on the list in `area` is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListSpot {
    Header(Shown),
    /// A row, by its position among the visible rows.
    Row(usize),
    Elsewhere,
}

/// Where a click lands on the list drawn in `area` (the same plan the drawing uses).
pub fn spot(app: &App, area: Rect, x: u16, y: u16) -> ListSpot {
    let inner_left = area.x + 1;
    if y == area.y + 1 {
        let (plan, _) = plan_for(app, area);
        let mut left = inner_left;
        for (shown, width) in plan {
            if x >= left && x < left + width + SPACING {
                return ListSpot::Header(shown);
            }
            left += width + SPACING;
        }
        return ListSpot::Elsewhere;
    }
    let first_row = area.y + 2;
    if y >= first_row && y < area.bottom().saturating_sub(1) && x >= inner_left {
        let position = app.list_offset + usize::from(y - first_row);
        if position < app.backends.visible_len() {
            return ListSpot::Row(position);
        }
    }
    ListSpot::Elsewhere
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let backends = &app.backends;
    let (plan, any_marked) = plan_for(app, area);
    let header: Vec<Cell> = plan
        .iter()
        .map(|(shown, _)| {
            let mut text = shown.header().to_string();
            if shown.sort() == Some(backends.sort()) {
                text.push_str(theme.sort_arrow(backends.reverse()));
            }
            Cell::from(text)
        })
        .collect();
    let widths: Vec<Constraint> = plan.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let rows: Vec<TableRow> = backends
        .visible()
        .map(|row| {
            let stats = &row.stats;
            let old = row.figures_are_old();
            let cells: Vec<Cell> = plan
                .iter()
                .map(|(shown, width)| match shown {
                    Shown::Column(ListColumn::Health) => match &stats.maintenance {
                        // Planned: what the operator waits for is its end, not the health.
                        Some(brief) => Cell::from(format!(
                            "{} {}",
                            theme.maintenance_label(),
                            super::ages::maintenance_left(app.now, brief)
                        ))
                        .style(theme.maintenance()),
                        None => Cell::from(theme.health_label(stats.health.status))
                            .style(theme.health(stats.health.status)),
                    },
                    Shown::Column(ListColumn::Id) => {
                        let mut id = Vec::new();
                        if app.testing.contains(&stats.id) {
                            id.push(Span::raw(format!("{} ", theme.spinner(app.spinner))));
                        }
                        if app.alerts.in_alert(stats, app.now) {
                            id.push(Span::styled(
                                format!("{} ", theme.alert_mark()),
                                theme.warning().add_modifier(Modifier::BOLD),
                            ));
                        } else if any_marked {
                            // The ids stay in one column.
                            id.push(Span::raw("  "));
                        }
                        let stale = if stats.stale { theme.stale_mark() } else { "" };
                        // Cut with an ellipsis, the stale mark kept: two ids that share a
                        // prefix never read the same.
                        let marks: usize = id.iter().map(Span::width).sum();
                        let room = usize::from(*width).saturating_sub(marks + stale.len());
                        id.push(Span::raw(fit(&sanitize(row.shown_id(), 64), room, theme)));
                        id.push(Span::raw(stale));
                        Cell::from(Line::from(id))
                    }
                    other => figure_cell(*other, row, app, theme, *width, old),
                })
                .collect();
            TableRow::new(cells)
        })
        .collect();
    let mut title = vec![Span::styled(
        format!(" Backends {} ", backends.visible_len()),
        theme.title(),
    )];
    if backends.visible_len() != backends.rows().len() {
        title.push(Span::raw(format!("of {} ", backends.rows().len())));
    }
    title.push(Span::styled(
        format!(
            "sort:{}{} ",
            backends.sort().name(),
            theme.sort_arrow(backends.reverse())
        ),
        theme.dim(),
    ));
    if app.filter_input.is_some() || !backends.filter().is_empty() {
        let cursor = if app.filter_input.is_some() { "_" } else { "" };
        title.push(Span::styled(
            format!("/{}{cursor} ", sanitize(backends.filter(), 30)),
            theme.accent(),
        ));
    }
    if backends.is_paused() {
        title.push(Span::styled(
            "PAUSED ",
            theme.warning().add_modifier(Modifier::BOLD),
        ));
    }
    let alerts = app.alerts.active_count(app.now);
    if alerts > 0 {
        let s = if alerts == 1 { "" } else { "s" };
        title.push(Span::styled(
            format!("{alerts} alert{s} (A) "),
            theme.warning().add_modifier(Modifier::BOLD),
        ));
    }
    if !app.dashboard.backends.is_empty() {
        title.push(Span::styled(
            format!("+{} read-only (D) ", app.dashboard.backends.len()),
            theme.dim(),
        ));
    }
    let header_row = TableRow::new(header).style(Style::default().add_modifier(Modifier::BOLD));
    let empty = backends.rows().is_empty();
    let nothing_visible = backends.visible_len() == 0;
    let selected = backends.selected_position();
    let page = usize::from(area.height.saturating_sub(3)).max(1);
    let mut list_block = block(Line::from(title), app.focus == Pane::List, theme);
    if let Some(position) =
        scroll_position(app.list_offset, page, backends.visible_len(), theme.ascii)
    {
        list_block = list_block.title_bottom(Line::from(position).right_aligned());
    }
    let table = Table::new(rows, widths)
        .header(header_row)
        .block(list_block)
        .row_highlight_style(theme.selected())
        .column_spacing(SPACING);
    let mut state = TableState::default()
        .with_offset(app.list_offset)
        .with_selected(if nothing_visible {
            None
        } else {
            Some(selected)
        });
    frame.render_stateful_widget(table, area, &mut state);
    if empty || nothing_visible {
        let fleet_text;
        let text = match (&app.fleet, empty) {
            (Some(fleet), true) => {
                fleet_text = if let Some(error) = &fleet.error {
                    format!("{} — asking again every refresh.", sanitize(error, 300))
                } else if fleet.connecting() {
                    format!("Asking Prometheus at {}…", sanitize(&fleet.url, 100))
                } else {
                    format!(
                        "Prometheus at {} scrapes no ipfs-kit-tui exporter: run \
                         `ipfs-kit-tui metrics` on each host and add it to scrape_configs.",
                        sanitize(&fleet.url, 100)
                    )
                };
                fleet_text.as_str()
            }
            (None, true) => "No backends yet. Press a to add one.",
            (_, false) => "Nothing matches the filter (Esc clears it).",
        };
        // A long reason (Prometheus' error) wraps over the rows the list has.
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 3,
            width: area.width.saturating_sub(4),
            height: area.height.saturating_sub(4).max(1),
        };
        let style = if app.fleet.as_ref().is_some_and(|f| f.error.is_some()) {
            theme.error()
        } else {
            theme.dim()
        };
        if inner.y < area.bottom().saturating_sub(1) {
            let paragraph = Paragraph::new(text)
                .style(style)
                .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(paragraph, inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::alerts::Alert;
    use crate::stats::{AlertBrief, BackendStats, HealthStatus, Quota, QuotaSource};
    use crate::tui::message::Msg;
    use crate::tui::model::alerts::tests::{alert, at, group, NOW};
    use crate::tui::model::Row;
    use crate::tui::theme::ColorDepth;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    use ratatui::Terminal;

    /// A backend with its quota `used` of 100 bytes and these active alerts.
    fn row(id: &str, used: u64, alerts: &[Rule]) -> Row {
        Row {
            host: None,
            stats: BackendStats {
                id: id.into(),
                kind: "s3".into(),
                enabled: true,
                health: crate::stats::Health {
                    status: HealthStatus::Healthy,
                    ..Default::default()
                },
                quota: Quota::bytes(Some(100), Some(used), QuotaSource::Garage),
                alerts: alerts
                    .iter()
                    .map(|rule| AlertBrief {
                        rule: rule.as_str().into(),
                        message: String::new(),
                        since: at(-60),
                    })
                    .collect(),
                ..BackendStats::default()
            },
            history: Vec::new(),
        }
    }

    /// Five backends: two quotas in alert (one full), one near full without an alert, one down
    /// and one down but silenced.
    fn app() -> App {
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: vec![
                row("calm", 92, &[]),
                row("full", 100, &[Rule::Quota, Rule::Full]),
                row("kubo", 10, &[Rule::Down]),
                row("quiet", 10, &[Rule::Down]),
                row("warm", 92, &[Rule::Quota]),
            ],
            problems: Vec::new(),
        });
        let quiet = Alert {
            silenced_until: Some(at(3_600)),
            ..alert("quiet", Rule::Down, -60)
        };
        app.update(Msg::Alerts {
            groups: vec![
                group(Rule::Quota, None, vec![alert("warm", Rule::Quota, -60)]),
                group(Rule::Quota, None, vec![alert("full", Rule::Quota, -60)]),
                group(
                    Rule::Down,
                    Some("h:1"),
                    vec![alert("kubo", Rule::Down, -60), quiet],
                ),
            ],
            alerts: Vec::new(),
            endpoints: Default::default(),
        });
        app
    }

    fn render(app: &App, theme: Theme) -> Terminal<TestBackend> {
        render_at(app, theme, 90, 9)
    }

    fn render_at(app: &App, theme: Theme, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| draw(frame, frame.area(), app, &theme))
            .unwrap();
        terminal
    }

    fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
        crate::tui::test_support::screen_lines(terminal.backend().buffer())
    }

    /// The foreground of the QUOTA cell in the row of `id`.
    fn quota_fg(terminal: &Terminal<TestBackend>, id: &str) -> Color {
        let lines = lines(terminal);
        let column = |line: &str, text: &str| {
            line.find(text)
                .map(|pos| u16::try_from(line[..pos].chars().count()).unwrap())
        };
        let x = lines.iter().find_map(|l| column(l, "QUOTA")).unwrap();
        let y = lines
            .iter()
            .position(|l| l.contains(&format!(" {id} ")))
            .unwrap();
        terminal.backend().buffer()[(x, u16::try_from(y).unwrap())].fg
    }

    #[test]
    fn a_backend_in_alert_is_marked_and_the_title_counts_them() {
        let app = app();
        let lines = lines(&render(&app, Theme::new(ColorDepth::None, false)));
        let line_of = |id: &str| {
            lines
                .iter()
                .find(|l| l.contains(&format!(" {id} ")))
                .unwrap()
                .clone()
        };
        assert!(line_of("kubo").contains("◆ kubo"), "{lines:#?}");
        assert!(line_of("full").contains("◆ full"));
        assert!(!line_of("quiet").contains('◆'), "silenced: no mark");
        let column = |id: &str| {
            let line = line_of(id);
            line[..line.find(&format!("{id} ")).unwrap()]
                .chars()
                .count()
        };
        assert_eq!(column("quiet"), column("kubo"), "the ids stay in a column");
        assert!(!line_of("calm").contains('◆'));
        assert!(lines[0].contains("3 alerts (A)"), "{}", lines[0]);
        let ascii = lines_of_ascii(&app);
        assert!(ascii.iter().any(|l| l.contains("@ kubo")), "{ascii:#?}");
        assert!(!ascii.iter().any(|l| l.contains('◆')));
        // No alert, no count.
        let mut calm = App::new(NOW, false, false);
        calm.update(Msg::Snapshot {
            rows: vec![row("calm", 92, &[])],
            problems: Vec::new(),
        });
        let title = &super::tests::lines(&render(&calm, Theme::new(ColorDepth::None, false)))[0];
        assert!(!title.contains("alert"), "{title}");
    }

    fn lines_of_ascii(app: &App) -> Vec<String> {
        lines(&render(app, Theme::new(ColorDepth::None, true)))
    }

    #[test]
    fn a_quota_in_alert_is_in_the_warning_colour_and_full_in_the_error_colour() {
        let app = app();
        let terminal = render(&app, Theme::new(ColorDepth::Basic16, false));
        assert_eq!(quota_fg(&terminal, "warm"), Color::Yellow);
        assert_eq!(quota_fg(&terminal, "full"), Color::Red);
        assert_eq!(
            quota_fg(&terminal, "calm"),
            Color::Reset,
            "as full as warm, but no alert"
        );
        assert_eq!(
            quota_fg(&terminal, "kubo"),
            Color::Reset,
            "its alert is not the quota"
        );
        let plain = render(&app, Theme::new(ColorDepth::None, false));
        assert_eq!(quota_fg(&plain, "full"), Color::Reset, "no colour: none");
    }

    /// A bucket with a quota, and so a forecast (too little history yet).
    fn forecast_row(id: &str) -> Row {
        let mut row = row(id, 10, &[]);
        row.stats.forecast = Some(crate::stats::forecast::ForecastReport::new(
            crate::stats::forecast::Outlook::TooLittleHistory,
            100,
            crate::stats::forecast::LimitSource::Quota,
        ));
        row
    }

    fn headers(width: u16, wanted: &[ListColumn]) -> Vec<&'static str> {
        let rows = vec![forecast_row("garage-bucket-01")];
        plan_columns(width, wanted, &rows, false)
            .into_iter()
            .map(|(shown, _)| shown.header())
            .collect()
    }

    #[test]
    fn columns_come_as_the_width_grows_and_kind_goes_first() {
        let all = ListColumn::ALL;
        // 40x12: health, id and the fuller of used and quota (a bucket has only a quota).
        assert_eq!(headers(38, &all), ["HEALTH", "ID", "RESP", "FULL"]);
        assert_eq!(headers(30, &all), ["HEALTH", "ID", "FULL"]);
        // Narrower than the kind needs: everything else before it.
        assert_eq!(headers(50, &all), ["HEALTH", "ID", "RESP", "USED", "QUOTA"]);
        assert_eq!(
            headers(64, &all),
            ["HEALTH", "ID", "KIND", "RESP", "USED", "QUOTA"]
        );
        let wide = headers(196, &all);
        assert_eq!(
            wide,
            [
                "HEALTH", "ID", "KIND", "RESP", "USED", "QUOTA", "FULL IN", "BYTES", "AVAIL",
                "OBJECTS", "CHECKED", "UP 24H", "UP 30D", "TREND", "MESSAGE"
            ]
        );
        // The day's availability in the room left over; the month's only once every other
        // column fits with room for the message.
        // (FULL IN, shown here, takes its 9 cells before them.)
        let day_only = headers(140, &all);
        assert!(day_only.contains(&"UP 24H") && day_only.contains(&"MESSAGE"));
        assert!(!day_only.contains(&"UP 30D"), "{day_only:?}");
        assert!(headers(163, &all).contains(&"UP 30D"));
        assert!(
            !headers(139, &all).contains(&"UP 24H"),
            "before the message"
        );
        // Without a backend that has a limit to fill, there is no FULL IN to show.
        let rows = vec![row("garage-bucket-01", 10, &[])];
        let without: Vec<&str> = plan_columns(196, &all, &rows, false)
            .into_iter()
            .map(|(shown, _)| shown.header())
            .collect();
        assert!(!without.contains(&"FULL IN"), "{without:?}");
        // Every width fits, and the message takes what is left.
        for width in 20..=240 {
            let rows = vec![row("a-very-long-backend-identifier-indeed-more", 10, &[])];
            let plan = plan_columns(width, &all, &rows, true);
            let used: u16 =
                plan.iter().map(|(_, w)| *w).sum::<u16>() + SPACING * (plan.len() as u16 - 1);
            assert!(used <= width.max(30), "{width}: {plan:?}");
            let id = plan
                .iter()
                .find(|(s, _)| *s == Shown::Column(ListColumn::Id))
                .unwrap()
                .1;
            assert!(id <= ID_CAP, "the id is capped: {id}");
        }
    }

    #[test]
    fn at_its_full_width_the_plan_shows_every_wanted_column_exactly() {
        let rows = vec![forecast_row("garage-bucket-01")];
        for wanted in [
            ListColumn::ALL.to_vec(),
            vec![ListColumn::Health, ListColumn::Quota, ListColumn::Objects],
            vec![ListColumn::Id, ListColumn::Trend, ListColumn::Message],
        ] {
            for marked in [false, true] {
                let width = full_width(&wanted, &rows, marked);
                let plan = plan_columns(width, &wanted, &rows, marked);
                // Availability takes the room left over: the full width does not count it.
                for column in wanted.iter().filter(|c| {
                    !matches!(c, ListColumn::Host | ListColumn::Up24h | ListColumn::Up30d)
                }) {
                    assert!(
                        plan.iter().any(|(s, _)| *s == Shown::Column(*column)),
                        "{column:?} at {width}: {plan:?}"
                    );
                }
                let used: u16 =
                    plan.iter().map(|(_, w)| *w).sum::<u16>() + SPACING * (plan.len() as u16 - 1);
                assert_eq!(used, width, "{plan:?}");
            }
        }
    }

    #[test]
    fn the_config_set_limits_the_columns() {
        let wanted = [ListColumn::Health, ListColumn::Quota, ListColumn::Objects];
        assert_eq!(headers(196, &wanted), ["HEALTH", "ID", "QUOTA", "OBJECTS"]);
        assert_eq!(headers(28, &wanted), ["HEALTH", "ID", "FULL"]);
    }

    #[test]
    fn the_fullest_is_the_quota_of_a_bucket_and_says_so() {
        let app = app();
        let terminal = render_at(&app, Theme::new(ColorDepth::None, false), 34, 9);
        let lines = lines(&terminal);
        assert!(lines[1].contains("FULL"), "{lines:#?}");
        let warm = lines.iter().find(|l| l.contains(" warm ")).unwrap();
        assert!(warm.contains("92%q"), "{warm}");
    }

    #[test]
    fn the_trend_draws_every_answered_poll_and_marks_failures() {
        use crate::monitor::history::Point;
        let point = |at: u64, ms: Option<f32>| Point {
            at,
            response_ms: ms,
            used_bytes: None,
            ..Default::default()
        };
        let theme = Theme::new(ColorDepth::None, false);
        for series in [
            vec![Some(5.0); 8],                                      // flat
            vec![Some(100.0), Some(100.2), Some(99.9), Some(100.1)], // near-constant
            (1..=10).map(|i| Some(i as f32)).collect::<Vec<_>>(),    // growing
            vec![Some(0.0), Some(0.0)],                              // zero
        ] {
            let mut r = row("r", 1, &[]);
            r.history = series
                .iter()
                .enumerate()
                .map(|(i, ms)| point(i as u64, *ms))
                .collect();
            let line = trend_spans(&r, 12, &theme, false);
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert_eq!(text.chars().count(), series.len());
            assert!(!text.contains(' '), "no answered poll is blank: {text:?}");
        }
        let mut r = row("r", 1, &[]);
        r.history = vec![point(1, Some(3.0)), point(2, None), point(3, Some(6.0))];
        let text: String = trend_spans(&r, 12, &theme, false)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(text, "▄×█");
        let ascii: String = trend_spans(&r, 12, &Theme::new(ColorDepth::None, true), false)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(ascii.is_ascii(), "{ascii}");
    }

    #[test]
    fn a_count_that_stopped_at_a_limit_is_a_lower_bound() {
        let mut app = App::new(NOW, false, false);
        let mut walking = row("walking", 1, &[]);
        walking.stats.quota = Quota::default();
        walking.stats.files.count = Some(12_000);
        walking.stats.files.partial = true;
        app.update(Msg::Snapshot {
            rows: vec![walking],
            problems: Vec::new(),
        });
        let terminal = render_at(&app, Theme::new(ColorDepth::None, false), 200, 5);
        let lines = lines(&terminal);
        assert!(lines[1].contains("OBJECTS"), "{lines:#?}");
        assert!(lines[2].contains("≥12.0k"), "{lines:#?}");
    }

    #[test]
    fn the_scroll_position_says_which_rows_are_shown() {
        assert_eq!(scroll_position(0, 10, 5, false), None);
        assert_eq!(
            scroll_position(20, 29, 59, false).as_deref(),
            Some(" 21–49 of 59 ")
        );
        assert_eq!(
            scroll_position(50, 29, 59, true).as_deref(),
            Some(" 31-59 of 59 ")
        );
        use super::super::layout::scroll_offset;
        // The page stays while the selection moves inside it, and moves by one at its edges.
        assert_eq!(scroll_offset(0, 5, 10, 59), 0);
        assert_eq!(scroll_offset(0, 10, 10, 59), 1);
        assert_eq!(scroll_offset(20, 25, 10, 59), 20);
        assert_eq!(scroll_offset(20, 19, 10, 59), 19);
        assert_eq!(scroll_offset(55, 3, 10, 20), 3);
    }
}
