//! The alerts view (`A`, `:alerts`): the active alerts in groups — the rule, the endpoint its
//! backends share, the backends it names, since when, whether acknowledged or silenced and
//! until when — then the recent closed ones and how each closed. ↑↓ select a group; `a`
//! acknowledges every alert of it, `s` / `S` silence them for an hour / a day. What it shows
//! is a model (`model/alerts.rs`, loaded by the runtime); the keys only say what was asked for.

use std::fmt::Display;

use chrono::{DateTime, TimeZone};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::shared::closes;
use super::shared::Context;
use crate::api::AlertGroup;
use crate::monitor::alerts::{Alert, Closed, Rule};
use crate::text::sanitize;
use crate::tui::intent::AlertTargets;
use crate::tui::model::alerts::millis;
use crate::tui::model::{AlertBoard, GroupKey};
use crate::tui::theme::Theme;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;
use crate::tui::widgets::{block, fit_line};

pub const HINTS: &[Hint] = &[
    ("↑↓", "select"),
    ("a", "acknowledge"),
    ("s", "silence 1h"),
    ("S", "silence 24h"),
    ("Esc", "close"),
];

/// `s` silences for an hour.
pub const SILENCE_SHORT_SECS: u64 = 3_600;
/// `S` silences for a day.
pub const SILENCE_LONG_SECS: u64 = 86_400;

/// The view's own state: which group is selected, kept as the group (its rule and endpoint), not
/// as a row: a load that brings a newer group above it does not move the selection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertsView {
    selected: Option<GroupKey>,
}

/// What a key asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertsOutcome {
    Open,
    Close,
    Acknowledge(AlertTargets),
    /// Silence these alerts for so many seconds.
    Silence(AlertTargets, u64),
}

/// How a group is named: `down at 10.0.0.5:3900 (12 backends)`, `quota of garage-media`.
pub fn describe(group: &AlertGroup) -> String {
    let rule = group.rule.as_str();
    match (&group.endpoint, &group.alerts[..]) {
        (_, [one]) => format!("{rule} of {}", one.backend),
        (Some(endpoint), alerts) => format!("{rule} at {endpoint} ({} backends)", alerts.len()),
        (None, alerts) => format!("{rule} ({} backends)", alerts.len()),
    }
}

impl AlertsView {
    /// The selected group's place in `board.groups()`: the first when none was chosen or the
    /// chosen one is gone; `None` when there is no active alert.
    pub fn selected(&self, board: &AlertBoard) -> Option<usize> {
        if board.groups().is_empty() {
            return None;
        }
        Some(
            self.selected
                .as_ref()
                .and_then(|key| board.position(key))
                .unwrap_or(0),
        )
    }

    pub fn handle_key(&mut self, key: KeyEvent, board: &AlertBoard) -> AlertsOutcome {
        if closes(&key) || key.code == KeyCode::Char('A') {
            return AlertsOutcome::Close;
        }
        let groups = board.groups();
        let Some(at) = self.selected(board) else {
            return AlertsOutcome::Open;
        };
        let last = groups.len() - 1;
        let targets = || AlertTargets {
            alerts: groups[at]
                .alerts
                .iter()
                .map(|a| (a.backend.clone(), a.rule))
                .collect(),
            what: describe(&groups[at]),
        };
        let to = match key.code {
            KeyCode::Up | KeyCode::Char('k') => at.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => (at + 1).min(last),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => last,
            KeyCode::Char('a') => return AlertsOutcome::Acknowledge(targets()),
            KeyCode::Char('s') => return AlertsOutcome::Silence(targets(), SILENCE_SHORT_SECS),
            KeyCode::Char('S') => return AlertsOutcome::Silence(targets(), SILENCE_LONG_SECS),
            _ => return AlertsOutcome::Open,
        };
        self.selected = Some(GroupKey::of(&groups[to]));
        AlertsOutcome::Open
    }

    /// Draws the view over `area`, the whole screen, times in local time.
    pub fn draw(&self, frame: &mut Frame, area: Rect, context: &Context, theme: &Theme) {
        let shown = Shown {
            board: context.alerts,
            now: context.now,
            read_only: context.read_only,
        };
        self.draw_in(frame, area, &shown, &chrono::Local, theme);
    }

    fn draw_in<Tz: TimeZone>(
        &self,
        frame: &mut Frame,
        area: Rect,
        shown: &Shown,
        tz: &Tz,
        theme: &Theme,
    ) where
        Tz::Offset: Display,
    {
        let board = shown.board;
        let groups = board.groups();
        let closed = board.closed();
        let active_lines = (2 * groups.len()).max(1);
        let wanted = 2 + 1 + active_lines + 1 + 1 + closed.len().max(1);
        // The footer's line stays in view: it says the keys.
        let most = area.height.saturating_sub(2).max(3);
        let height = u16::try_from(wanted).unwrap_or(u16::MAX).min(most);
        let rect = centered(area, 110, height);
        frame.render_widget(Clear, rect);
        let title = if shown.read_only {
            " Alerts (read-only: shown only; Esc closes) "
        } else {
            " Alerts (Esc closes) "
        };
        let outer = block(title, true, theme);
        let inner = outer.inner(rect);
        frame.render_widget(outer, rect);
        // The closed ones get what the active ones leave, at most a third of the room.
        let closed_rows = u16::try_from(closed.len().max(1))
            .unwrap_or(u16::MAX)
            .min((inner.height / 3).max(1));
        let [active_head, active_area, _, closed_head, closed_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(closed_rows),
        ])
        .areas(inner);
        let bold = Style::default().add_modifier(Modifier::BOLD);

        let count = groups.iter().map(|g| g.alerts.len()).sum::<usize>();
        let quiet = count - board.active_count(shown.now);
        let mut head = vec![Span::styled(
            format!(
                "Active: {count} alert{} in {} group{}",
                plural(count),
                groups.len(),
                plural(groups.len())
            ),
            bold,
        )];
        if quiet > 0 {
            head.push(Span::styled(format!(", {quiet} silenced"), theme.dim()));
        }
        frame.render_widget(Paragraph::new(Line::from(head)), active_head);
        if groups.is_empty() {
            frame.render_widget(
                Paragraph::new("No active alerts.").style(theme.dim()),
                active_area,
            );
        } else {
            // Endpoints in a column of their own; the backends' names get the rest of the line.
            let endpoints = groups
                .iter()
                .filter_map(|g| g.endpoint.as_deref())
                .map(|e| sanitize(e, 60).chars().count())
                .max()
                .map_or(0, |width| width + 2);
            let columns = Columns {
                endpoint: endpoints,
                names: usize::from(active_area.width).saturating_sub(2 + RULE_WIDTH + endpoints),
            };
            // The highlight symbol's column ("> ") comes off each line's width.
            let width = usize::from(active_area.width).saturating_sub(2);
            let items: Vec<ListItem> = groups
                .iter()
                .map(|g| group_item(g, &columns, shown.now, tz, theme, width))
                .collect();
            let list = List::new(items)
                .highlight_symbol("> ")
                .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
                .highlight_style(theme.selected());
            let mut state = ListState::default().with_selected(self.selected(board));
            frame.render_stateful_widget(list, active_area, &mut state);
        }

        frame.render_widget(
            Paragraph::new(Span::styled("Recently closed", bold)),
            closed_head,
        );
        let lines: Vec<Line> = if closed.is_empty() {
            vec![Line::styled("None closed lately.", theme.dim())]
        } else {
            let when = |a: &Alert| {
                a.cleared_at
                    .as_deref()
                    .map(|t| clock(t, shown.now, tz))
                    .unwrap_or_default()
            };
            let when_width = closed.iter().map(|a| when(a).chars().count()).max();
            let backend_width = closed
                .iter()
                .map(|a| sanitize(&a.backend, 64).chars().count())
                .max();
            closed
                .iter()
                .map(|a| {
                    closed_line(
                        a,
                        &when(a),
                        (when_width.unwrap_or(0), backend_width.unwrap_or(0).min(32)),
                        theme,
                    )
                })
                .collect()
        };
        let lines: Vec<Line> = lines
            .into_iter()
            .map(|line| fit_line(line, usize::from(closed_area.width), theme))
            .collect();
        frame.render_widget(Paragraph::new(lines), closed_area);
    }
}

/// What the view shows: the model, the time, whether changes are refused.
struct Shown<'a> {
    board: &'a AlertBoard,
    now: i64,
    read_only: bool,
}

/// The rule's column.
const RULE_WIDTH: usize = 12;

/// The columns of the active groups: the endpoints' (with its gap; 0 when none has one) and
/// the room left for the backends' names.
struct Columns {
    endpoint: usize,
    names: usize,
}

/// The backends a group names, as many as fit in `room` (`12 backends: a, b, …`; `...` is
/// `ellipsis` under --ascii).
fn names_fitting(names: &[String], room: usize, ellipsis: &str) -> String {
    let mut text = match names.len() {
        1 => String::new(),
        n => format!("{n} backends: "),
    };
    let more_width = 2 + ellipsis.chars().count();
    for (i, name) in names.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        // This name, and `, …` after it when more follow.
        let more = if i + 1 < names.len() { more_width } else { 0 };
        let need = text.chars().count() + sep.len() + name.chars().count() + more;
        if i > 0 && need > room {
            text.push_str(", ");
            text.push_str(ellipsis);
            return text;
        }
        text.push_str(sep);
        text.push_str(name);
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A time as the view shows it: `HH:MM` on the day of `now`, else with its date.
fn clock<Tz: TimeZone>(text: &str, now: i64, tz: &Tz) -> String
where
    Tz::Offset: Display,
{
    let Some(at) = crate::store::timestamp::parse(text) else {
        return "?".into();
    };
    let at = at.with_timezone(tz);
    let today = DateTime::from_timestamp(now, 0).map(|n| n.with_timezone(tz).date_naive());
    if today == Some(at.date_naive()) {
        at.format("%H:%M").to_string()
    } else {
        at.format("%b %d %H:%M").to_string()
    }
}

fn rule_style(rule: Rule, theme: &Theme) -> Style {
    match rule {
        Rule::Down | Rule::Credentials | Rule::Full => theme.error(),
        Rule::Quota | Rule::Capacity | Rule::Filling | Rule::ErrorRate => theme.warning(),
    }
}

/// One group in two lines of at most `width` cells (cut with an ellipsis): the rule, the
/// endpoint, the backends it names (sorted); then since when, the marks and what the newest
/// alert says.
fn group_item<'a, Tz: TimeZone>(
    group: &AlertGroup,
    columns: &Columns,
    now: i64,
    tz: &Tz,
    theme: &Theme,
    width: usize,
) -> ListItem<'a>
where
    Tz::Offset: Display,
{
    let alerts = &group.alerts;
    let at = DateTime::from_timestamp(now, 0).map(|t| t.fixed_offset());
    let silenced: Vec<&Alert> = alerts
        .iter()
        .filter(|a| at.as_ref().is_some_and(|now| a.is_silenced(now)))
        .collect();
    let quiet = !silenced.is_empty() && silenced.len() == alerts.len();
    let mut names: Vec<String> = alerts.iter().map(|a| sanitize(&a.backend, 64)).collect();
    names.sort();
    let mut first = vec![Span::styled(
        format!("{:<RULE_WIDTH$}", group.rule.as_str()),
        if quiet {
            theme.dim()
        } else {
            rule_style(group.rule, theme).add_modifier(Modifier::BOLD)
        },
    )];
    let endpoint = group
        .endpoint
        .as_deref()
        .map(|e| sanitize(e, 60))
        .unwrap_or_default();
    first.push(Span::styled(
        format!("{endpoint:<width$}", width = columns.endpoint),
        theme.accent(),
    ));
    first.push(Span::raw(names_fitting(
        &names,
        columns.names,
        theme.ellipsis(),
    )));

    // The group began with its oldest alert.
    let since = alerts
        .iter()
        .min_by_key(|a| millis(&a.raised_at).unwrap_or(i64::MAX))
        .map(|a| format!("since {}", clock(&a.raised_at, now, tz)))
        .unwrap_or_default();
    let mut second = vec![Span::raw("  "), Span::styled(since, theme.dim())];
    let acknowledged = alerts
        .iter()
        .filter(|a| a.acknowledged_at.is_some())
        .count();
    let mut marks = Vec::new();
    if acknowledged == alerts.len() {
        marks.push("acknowledged".to_string());
    } else if acknowledged > 0 {
        marks.push(format!("{acknowledged} of {} acknowledged", alerts.len()));
    }
    if quiet {
        // Silenced alike (one key did it): the first to come back says until when.
        let until = silenced
            .iter()
            .filter_map(|a| a.silenced_until.as_deref())
            .min_by_key(|u| millis(u).unwrap_or(i64::MAX))
            .map(|u| clock(u, now, tz))
            .unwrap_or_default();
        marks.push(format!("silenced until {until}"));
    } else if !silenced.is_empty() {
        marks.push(format!("{} of {} silenced", silenced.len(), alerts.len()));
    }
    for mark in marks {
        second.push(Span::styled(" · ", theme.dim()));
        second.push(Span::styled(mark, theme.accent()));
    }
    if let Some(newest) = alerts.first() {
        second.push(Span::styled(
            format!(" · {}", sanitize(&newest.message, 200)),
            theme.dim(),
        ));
    }
    ListItem::new(Text::from(vec![
        fit_line(Line::from(first), width, theme),
        fit_line(Line::from(second), width, theme),
    ]))
}

/// A closed alert: when, the rule, the backend, how it closed (a recovery, or its backend
/// removed or disabled) and what it said.
/// `widths`: of the time and of the backend columns.
fn closed_line<'a>(alert: &Alert, when: &str, widths: (usize, usize), theme: &Theme) -> Line<'a> {
    let how = alert.closed.unwrap_or(Closed::Recovered);
    let (when_width, backend_width) = widths;
    Line::from(vec![
        Span::styled(format!("  {when:<when_width$} "), theme.dim()),
        Span::raw(format!(
            "{:<RULE_WIDTH$}{:<backend_width$}  ",
            alert.rule.as_str(),
            sanitize(&alert.backend, 64)
        )),
        Span::raw(how.as_str()),
        Span::styled(format!(" · {}", sanitize(&alert.message, 200)), theme.dim()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::model::alerts::tests::{alert, at, group, NOW};
    use crate::tui::theme::ColorDepth;
    use crossterm::event::KeyModifiers;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use std::collections::HashMap;

    fn board() -> AlertBoard {
        let mut down: Vec<Alert> = (0..12)
            .map(|i| alert(&format!("s3-{i:02}"), Rule::Down, -90 + i))
            .rev()
            .collect();
        for a in &mut down {
            a.message = "down for 3 polls: connection refused by 10.0.0.5:3900".into();
            a.acknowledged_at = Some(at(-30));
        }
        let mut quota = alert("garage-media", Rule::Quota, -7_200);
        quota.message = "quota 95.0% full (alert at 90%)".into();
        quota.silenced_until = Some(at(3_600));
        let credentials = Alert {
            message: "credentials rejected: HTTP 403".into(),
            ..alert("hf-models", Rule::Credentials, -300)
        };
        let closed = [
            Alert {
                cleared_at: Some(at(-60)),
                closed: Some(Closed::Recovered),
                message: "down for 3 polls: timed out".into(),
                ..alert("kubo-main", Rule::Down, -900)
            },
            Alert {
                cleared_at: Some(at(-600)),
                closed: Some(Closed::Removed),
                message: "quota 99.0% full (alert at 90%)".into(),
                ..alert("scratch", Rule::Quota, -4_000)
            },
            Alert {
                cleared_at: Some(at(-90_000)),
                closed: Some(Closed::Disabled),
                message: "40% of the last 20 polls failed".into(),
                ..alert("old-rclone", Rule::ErrorRate, -100_000)
            },
        ];
        let mut board = AlertBoard::default();
        board.loaded(
            vec![
                group(Rule::Down, Some("10.0.0.5:3900"), down),
                group(Rule::Credentials, None, vec![credentials]),
                group(Rule::Quota, Some("garage.lan:3903"), vec![quota]),
            ],
            closed.to_vec(),
            HashMap::new(),
        );
        board
    }

    fn render(view: &AlertsView, board: &AlertBoard, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let theme = Theme::new(ColorDepth::None, false);
        let shown = Shown {
            board,
            now: NOW,
            read_only: false,
        };
        terminal
            .draw(|frame| view.draw_in(frame, frame.area(), &shown, &chrono::Utc, &theme))
            .unwrap();
        format!("{}", terminal.backend())
    }

    fn press(view: &mut AlertsView, board: &AlertBoard, code: KeyCode) -> AlertsOutcome {
        view.handle_key(KeyEvent::new(code, KeyModifiers::NONE), board)
    }

    #[test]
    fn groups_then_closed_alerts_at_two_sizes() {
        let board = board();
        let mut view = AlertsView::default();
        press(&mut view, &board, KeyCode::Down);
        for (width, height) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(
                format!("alerts_{width}x{height}"),
                render(&view, &board, width, height)
            );
        }
    }

    #[test]
    fn nothing_to_show_says_so() {
        let text = render(&AlertsView::default(), &AlertBoard::default(), 80, 24);
        assert!(text.contains("No active alerts."), "{text}");
        assert!(text.contains("None closed lately."), "{text}");
    }

    #[test]
    fn keys_select_a_group_and_act_on_every_alert_of_it() {
        let board = board();
        let mut view = AlertsView::default();
        let AlertsOutcome::Acknowledge(targets) = press(&mut view, &board, KeyCode::Char('a'))
        else {
            panic!("a acknowledges");
        };
        assert_eq!(targets.alerts.len(), 12);
        assert!(targets.alerts.iter().all(|(_, rule)| *rule == Rule::Down));
        assert_eq!(targets.what, "down at 10.0.0.5:3900 (12 backends)");
        press(&mut view, &board, KeyCode::Down);
        press(&mut view, &board, KeyCode::Down);
        press(&mut view, &board, KeyCode::Down);
        assert_eq!(view.selected(&board), Some(2), "stops at the last");
        assert_eq!(
            press(&mut view, &board, KeyCode::Char('s')),
            AlertsOutcome::Silence(
                AlertTargets {
                    alerts: vec![("garage-media".into(), Rule::Quota)],
                    what: "quota of garage-media".into()
                },
                SILENCE_SHORT_SECS
            )
        );
        press(&mut view, &board, KeyCode::Up);
        let shifted = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert!(matches!(
            view.handle_key(shifted, &board),
            AlertsOutcome::Silence(ref t, SILENCE_LONG_SECS) if t.alerts == [("hf-models".to_string(), Rule::Credentials)]
        ));
        for code in [KeyCode::Esc, KeyCode::Char('q'), KeyCode::Char('A')] {
            assert_eq!(press(&mut view, &board, code), AlertsOutcome::Close);
        }
        assert_eq!(
            press(
                &mut AlertsView::default(),
                &AlertBoard::default(),
                KeyCode::Char('a')
            ),
            AlertsOutcome::Open,
            "nothing to acknowledge"
        );
    }

    #[test]
    fn the_selection_is_the_group_not_the_row() {
        let mut board = board();
        let mut view = AlertsView::default();
        press(&mut view, &board, KeyCode::End);
        assert_eq!(view.selected(&board), Some(2));
        // A newer group arrives at the top: the selection stays on the quota group.
        let mut groups = board.groups().to_vec();
        groups.insert(
            0,
            group(Rule::ErrorRate, None, vec![alert("x", Rule::ErrorRate, 0)]),
        );
        board.loaded(groups, Vec::new(), HashMap::new());
        assert_eq!(view.selected(&board), Some(3));
        assert!(matches!(
            press(&mut view, &board, KeyCode::Char('a')),
            AlertsOutcome::Acknowledge(ref t) if t.what == "quota of garage-media"
        ));
    }
}
