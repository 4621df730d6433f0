//! The popup that shows the backends the Python library's dashboard keeps in its own files
//! (`backends.json`, `backends/*.yaml` with `policies/*_policy.json`). Read-only: this console
//! never changes those files, so the popup has nothing to edit, only where each comes from.
//! What it shows is a model (`model/dashboard.rs`: the list's title counts it too); drawing is
//! pure.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::shared::{closes, Shown};
use crate::text::sanitize;
use crate::tui::model::DashboardBackends;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered;
use crate::tui::widgets::fit;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[("Esc", "close")];

/// Esc, Enter, q, ?, Ctrl-C or D (which opened it) close it; every other key is ignored.
pub fn handle_key(key: KeyEvent) -> Shown {
    if closes(&key) || key.code == KeyCode::Char('D') {
        Shown::Close
    } else {
        Shown::Open
    }
}

/// The NAME and TYPE columns' widths.
const NAME_WIDTH: usize = 18;
const KIND_WIDTH: usize = 12;

fn enabled_text(enabled: Option<bool>) -> &'static str {
    match enabled {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

/// Draws the popup over `area`.
pub fn draw(frame: &mut Frame, area: Rect, listing: &DashboardBackends, theme: &Theme) {
    let height =
        (listing.backends.len() + 2 * listing.errors.len() + 7).min(usize::from(area.height));
    let rect = centered(area, 100, u16::try_from(height).unwrap_or(u16::MAX));
    frame.render_widget(Clear, rect);
    // The shared block: its border follows --ascii like every other.
    let block = crate::tui::widgets::block(
        " Read-only: the Python dashboard's own files (Esc closes) ",
        true,
        theme,
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if listing.is_empty() {
        frame.render_widget(
            Paragraph::new("No backends.json and no backends/*.yaml in this home.")
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let note = Line::from(Span::styled(
        "Shown as the dashboard wrote them; change them with the dashboard. Not polled here.",
        theme.dim(),
    ));
    let header = Row::new(["NAME", "TYPE", "ENABLED", "FROM", "POLICY"].map(Cell::from))
        .style(ratatui::style::Style::default().add_modifier(Modifier::BOLD));
    // FROM gets what the other columns (and the gaps between the five) leave, 20 at least.
    let from_width = usize::from(inner.width)
        .saturating_sub(NAME_WIDTH + KIND_WIDTH + 7 + 6 + 4)
        .max(20);
    let rows: Vec<Row> = listing
        .backends
        .iter()
        .map(|b| {
            let from = match b.source {
                crate::store::ForeignSource::BackendsJson => b.source.to_string(),
                crate::store::ForeignSource::Yaml => {
                    let file = b
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    format!("backends/{}", sanitize(&file, 40))
                }
            };
            // Names cut to their columns end with an ellipsis.
            Row::new([
                Cell::from(fit(&sanitize(&b.name, 64), NAME_WIDTH, theme)),
                Cell::from(fit(&sanitize(&b.kind, 30), KIND_WIDTH, theme)),
                Cell::from(enabled_text(b.enabled)),
                Cell::from(fit(&from, from_width, theme)),
                Cell::from(if b.policy_path.is_some() { "yes" } else { "no" }),
            ])
        })
        .collect();
    let errors: Vec<Line> = listing
        .errors
        .iter()
        .map(|e| Line::from(Span::styled(sanitize(e, 300), theme.error())))
        .collect();
    let table_height = u16::try_from(listing.backends.len() + 1).unwrap_or(u16::MAX);
    let [note_area, table_area, errors_area] = ratatui::layout::Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(table_height),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(note).wrap(Wrap { trim: true }), note_area);
    frame.render_widget(
        Paragraph::new(errors).wrap(Wrap { trim: true }),
        errors_area,
    );
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(NAME_WIDTH as u16),
                Constraint::Length(KIND_WIDTH as u16),
                Constraint::Length(7),
                Constraint::Min(20),
                Constraint::Length(6),
            ],
        )
        .header(header)
        .column_spacing(1),
        table_area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ForeignBackend, ForeignSource};
    use crate::tui::theme::ColorDepth;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use std::path::PathBuf;

    fn sample() -> DashboardBackends {
        let backend =
            |name: &str, kind: &str, enabled, source, file: &str, policy: bool| ForeignBackend {
                name: name.into(),
                kind: kind.into(),
                enabled,
                description: None,
                source,
                path: PathBuf::from("/home/op/.ipfs_kit").join(file),
                policy_path: policy.then(|| PathBuf::from("/p/local_fs_policy.json")),
                policy: None,
                fields: serde_json::Map::new(),
            };
        DashboardBackends {
            backends: vec![
                backend(
                    "ipfs_local",
                    "ipfs",
                    None,
                    ForeignSource::BackendsJson,
                    "backends.json",
                    false,
                ),
                backend(
                    "local_fs",
                    "local",
                    Some(true),
                    ForeignSource::Yaml,
                    "backends/local_fs.yaml",
                    true,
                ),
                backend(
                    "s3_demo",
                    "s3",
                    Some(false),
                    ForeignSource::Yaml,
                    "backends/s3_demo.yaml",
                    false,
                ),
            ],
            errors: vec![
                "/home/op/.ipfs_kit/backends/broken.yaml: does not parse at line 3".into(),
            ],
        }
    }

    fn render(listing: &DashboardBackends, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let theme = Theme::new(ColorDepth::Basic16, false);
        terminal
            .draw(|frame| draw(frame, frame.area(), listing, &theme))
            .unwrap();
        terminal
    }

    #[test]
    fn lists_each_backend_with_where_it_comes_from() {
        for (width, height) in [(120, 30), (80, 24)] {
            let terminal = render(&sample(), width, height);
            // Named as when this file was `tui/dashboard.rs`.
            super::super::shared::kept_snapshot_settings().bind(|| {
                insta::assert_snapshot!(
                    format!(
                        "ipfs_kit_tui__tui__dashboard__tests__dashboard_popup_{width}x{height}"
                    ),
                    terminal.backend()
                );
            });
        }
    }

    #[test]
    fn a_file_that_did_not_read_is_red() {
        let terminal = render(&sample(), 120, 30);
        assert_eq!(
            crate::tui::test_support::fg_of(terminal.backend().buffer(), "broken.yaml"),
            Some(ratatui::style::Color::Red),
            "the error is on screen, in red"
        );
    }

    #[test]
    fn an_empty_home_says_so() {
        let terminal = render(&DashboardBackends::default(), 80, 24);
        let text: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(text.contains("No backends.json"), "{text}");
    }
}
