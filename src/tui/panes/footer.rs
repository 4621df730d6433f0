//! The footer, one line: a wait for another writer, or the notice of the last action, or the
//! keys that work now — the popup's own hints when one is open, the filter's while it is typed,
//! else the main screen's from the keymap, with the keys bound now (`? help` kept when not all
//! fit) — and `read-only`.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::list::FILTER_HINTS;
use crate::text::sanitize;
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, KEYMAP};
use crate::tui::model::Level;
use crate::tui::state::App;
use crate::tui::theme::Theme;
use crate::tui::widgets::Hint;

/// A hint as the footer draws it: the keys (as bound now), what they do, and whether it is
/// the help's (kept when not all fit).
type Shown<'a> = (&'a str, &'static str, bool);

/// The main screen's keys from the keymap: those meant for the footer that work now, and that
/// have a key.
fn main_hints(app: &App) -> Vec<Shown<'_>> {
    KEYMAP
        .iter()
        .filter(|b| b.in_footer && !(app.read_only && Intent::of_key(b.action).changes().is_some()))
        .filter(|b| app.fleet.is_none() || Intent::of_key(b.action).host_only().is_none())
        .filter(|b| !app.keymap.keys(b.action).is_empty())
        .filter(|b| {
            !(app.full_detail
                && matches!(
                    b.action,
                    Action::Up | Action::Down | Action::Filter | Action::Sort | Action::Open
                ))
        })
        .map(|b| {
            let label = if b.action == Action::Pause && app.backends.is_paused() {
                "resume"
            } else {
                b.label
            };
            (app.keymap.shown(b.action), label, b.action == Action::Help)
        })
        .chain(app.full_detail.then_some(("Esc", "back", false)))
        .collect()
}

fn fixed(hints: &[Hint]) -> Vec<Shown<'static>> {
    hints
        .iter()
        .map(|(keys, label)| (*keys, *label, false))
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    // Said where it stays visible whatever popup is open (a form's save may be the one waiting).
    if app.writer_waiting {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "waiting for another writer to let go of the store… (the screen stays live)",
                theme.warning(),
            )),
            area,
        );
        return;
    }
    if let Some((level, text)) = &app.flash {
        let style = match level {
            Level::Info => theme.accent(),
            Level::Warning => theme.warning(),
            Level::Error => theme.error(),
        };
        let text = crate::tui::widgets::fit(&sanitize(text, 200), usize::from(area.width), theme);
        frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
        return;
    }
    let context: Vec<Shown> = match &app.popup {
        Some(popup) => fixed(popup.hints()),
        None if app.filter_input.is_some() => fixed(FILTER_HINTS),
        None => main_hints(app),
    };
    let mut used = 0usize;
    let right = if app.fleet.is_some() {
        " fleet: read-only "
    } else if app.read_only {
        " read-only "
    } else {
        ""
    };
    let width = |(keys, label, _): &Shown| keys.chars().count() + label.chars().count() + 2;
    let total: usize = context.iter().map(width).sum();
    let mut budget = (area.width as usize).saturating_sub(right.len());
    // When not everything fits, "? help" comes last and always shows: it lists the rest.
    let mut context = context;
    let help =
        (!app.full_detail && total > budget && app.popup.is_none() && app.filter_input.is_none())
            .then(|| context.iter().position(|(_, _, help)| *help))
            .flatten()
            .map(|i| context.remove(i));
    if let Some(help) = &help {
        budget = budget.saturating_sub(width(help));
    }
    for hint in context.into_iter() {
        let piece = width(&hint);
        if used + piece > budget {
            break;
        }
        let (keys, label, _) = hint;
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
        used += piece;
    }
    if let Some((keys, label, _)) = help {
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if !right.is_empty() && area.width as usize > right.len() {
        let r = Rect {
            x: area.right() - right.len() as u16,
            width: right.len() as u16,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                right,
                theme.warning().add_modifier(Modifier::REVERSED),
            )),
            r,
        );
    }
}
