//! One frame: the screen split by `panes::layout`, each region drawn by its pane, the popup (if
//! one is open) over them. Drawing takes `&App`: for the time of a frame the state is an
//! immutable snapshot, and drawing writes cells, nothing else.

use ratatui::Frame;

use super::panes::{detail, footer, layout, list, messages, summary};
use super::popups::Context;
use super::state::App;
use super::theme::Theme;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    let regions = layout::regions(area, app);
    if let Some(summary_area) = regions.summary {
        summary::draw(frame, summary_area, app, theme);
    }
    if let Some(list_area) = regions.list {
        list::draw(frame, list_area, app, theme);
    }
    if let (Some(detail_area), Some(row)) = (regions.detail, app.selected_row()) {
        detail::draw(frame, detail_area, app, row, theme);
    }
    if let Some(messages_area) = regions.messages {
        messages::draw(frame, messages_area, app, theme);
    }
    footer::draw(frame, regions.footer, app, theme);
    if let Some(popup) = &app.popup {
        let context = Context {
            keymap: &app.keymap,
            read_only: app.read_only,
            alerts: &app.alerts,
            dashboard: &app.dashboard,
            now: app.now,
        };
        popup.draw(frame, area, &context, theme);
    }
    if theme.ascii {
        ascii_only(frame.buffer_mut());
    }
}

/// `--ascii` means every cell: what the panes draw in ASCII already stays, and anything else
/// (an arrow in a hint, a `·` separator, an accent in a backend's name) becomes its nearest
/// ASCII character, or `?`.
pub fn ascii_only(buffer: &mut ratatui::buffer::Buffer) {
    let width = usize::from(buffer.area.width);
    let cells = &mut buffer.content;
    for i in 0..cells.len() {
        let symbol = cells[i].symbol();
        if symbol.is_ascii() {
            continue;
        }
        let wide = unicode_width(symbol) > 1;
        let plain = ascii_for(symbol);
        cells[i].set_symbol(plain);
        // A wide character covered the next cell too: that one is now a blank of its own.
        if wide && (i + 1) % width != 0 {
            if let Some(next) = cells.get_mut(i + 1) {
                if next.symbol().is_empty() || next.symbol() == " " {
                    next.set_symbol(" ");
                }
            }
        }
    }
}

fn unicode_width(symbol: &str) -> usize {
    use ratatui::text::Span;
    Span::raw(symbol).width()
}

fn ascii_for(symbol: &str) -> &'static str {
    match symbol {
        "↑" | "▲" | "△" | "^" => "^",
        "↓" | "▼" => "v",
        "←" => "<",
        "→" | "≥" => ">",
        "·" | "•" => "-",
        "…" => ".",
        "✓" | "✔" => "+",
        "✗" | "✘" => "x",
        "■" => "#",
        "█" | "▉" | "▊" | "▋" | "▌" | "▍" | "▎" | "▏" | "▇" | "▆" | "▅" => {
            "#"
        }
        "▄" | "▃" | "▂" | "▁" => "_",
        "░" | "▒" | "▓" => ".",
        "─" | "━" | "═" => "-",
        "│" | "┃" | "║" => "|",
        "╭" | "╮" | "╰" | "╯" | "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" => {
            "+"
        }
        "é" | "è" | "ê" | "ë" => "e",
        "á" | "à" | "â" | "ä" | "å" => "a",
        "ó" | "ò" | "ô" | "ö" => "o",
        "ú" | "ù" | "û" | "ü" => "u",
        "í" | "ì" | "î" | "ï" => "i",
        "ç" => "c",
        "ñ" => "n",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn ascii_only_leaves_no_other_character_and_keeps_the_columns() {
        let area = Rect::new(0, 0, 12, 1);
        let mut buffer = Buffer::empty(area);
        buffer.set_string(0, 0, "café ☃ 日x", ratatui::style::Style::default());
        ascii_only(&mut buffer);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert!(text.is_ascii(), "{text:?}");
        assert_eq!(text, "cafe ? ? x  ");
    }
}
