//! One frame: the screen split by `panes::layout`, each region drawn by its pane, the popup (if
//! one is open) over them. Drawing takes `&App`: for the time of a frame the state is an
//! immutable snapshot, and drawing writes cells, nothing else.

use ratatui::Frame;

use super::app::App;
use super::panes::{detail, footer, layout, list, messages, summary};
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
        popup.draw(frame, area, app, theme);
    }
}
