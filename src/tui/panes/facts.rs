//! What the detail's text is made of: facts (phrases never split across lines) flowed after a
//! label, as many on a line as fit.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// One fact of the detail: a phrase that is never split across lines.
pub(super) type Fact<'a> = Vec<Span<'a>>;

pub(super) fn fact<'a>(text: impl Into<std::borrow::Cow<'a, str>>, style: Style) -> Fact<'a> {
    vec![Span::styled(text, style)]
}

/// Width of the labels in front of the detail's lines (`Storage `, `Speed   `).
pub(super) const LABEL_WIDTH: usize = 8;

/// `label` then `facts`, `separator` between them, as many on a line as fit in `width`; the
/// next lines start under the first fact. A fact is never split: one wider than a whole line
/// is cut at the pane's edge (with an ellipsis, when drawn).
pub(super) fn flow<'a>(
    label: &str,
    label_style: Style,
    facts: Vec<Fact<'a>>,
    separator: &'static str,
    width: u16,
) -> Vec<Line<'a>> {
    let width = usize::from(width);
    let indent = if label.is_empty() { 0 } else { LABEL_WIDTH };
    let separator_width = Span::raw(separator).width();
    let mut lines = Vec::new();
    let mut spans = if label.is_empty() {
        Vec::new()
    } else {
        vec![Span::styled(format!("{label:<LABEL_WIDTH$}"), label_style)]
    };
    let mut used = indent;
    let mut line_empty = true;
    for fact in facts {
        let fact_width: usize = fact.iter().map(Span::width).sum();
        if !line_empty && used + separator_width + fact_width > width {
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
            line_empty = true;
        }
        if !line_empty {
            spans.push(Span::raw(separator));
            used += separator_width;
        }
        used += fact_width;
        spans.extend(fact);
        line_empty = false;
    }
    lines.push(Line::from(spans));
    lines
}
