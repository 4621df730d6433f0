//! What the panes and the popups share for drawing: the bordered block, text fitted to a
//! width (cut with an ellipsis that never makes one name read as another), a centred area, and
//! the footer's hint type. Drawing helpers only: no state, no keys.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::theme::Theme;

/// Keys as the footer shows them, and what they do: `("Esc", "close")`.
pub type Hint = (&'static str, &'static str);

/// A bordered block, its border in the accent colour when it has the focus (popups always do).
pub fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border_set())
        .title(title);
    if focused {
        block = block.border_style(theme.accent());
    }
    block
}

/// The cells `text` takes on screen.
fn cells(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
}

/// `text` in at most `width` cells: whole when it fits, else cut and ended with `…` (`...`
/// under --ascii), so that a cut name never reads as another (`s3-archiv…` is not
/// `s3-archive`).
pub fn fit(text: &str, width: usize, theme: &Theme) -> String {
    if cells(text) <= width {
        text.to_string()
    } else {
        cut(text, width, theme)
    }
}

/// `text` cut to end with the ellipsis within `width` cells (as much of the ellipsis as fits
/// when the width is narrower than it).
fn cut(text: &str, width: usize, theme: &Theme) -> String {
    let ellipsis = theme.ellipsis();
    let room = width.saturating_sub(cells(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut buffer = [0u8; 4];
        let w = cells(c.encode_utf8(&mut buffer));
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    out.extend(ellipsis.chars().take(width.saturating_sub(used)));
    out
}

/// `line` in at most `width` cells, cut as [`fit`] cuts (the ellipsis in the style of the span
/// it ends). A line that fits is returned as it is.
pub fn fit_line<'a>(line: Line<'a>, width: usize, theme: &Theme) -> Line<'a> {
    if line.width() <= width {
        return line;
    }
    let ellipsis = cells(theme.ellipsis());
    let mut left = width;
    let mut spans = Vec::new();
    for span in line.spans {
        let w = span.width();
        // Whole, when it leaves room for the ellipsis after it (the line is cut further on).
        if w + ellipsis <= left {
            left -= w;
            spans.push(span);
            continue;
        }
        spans.push(Span::styled(cut(&span.content, left, theme), span.style));
        break;
    }
    Line {
        spans,
        style: line.style,
        alignment: line.alignment,
    }
}

/// A centred rectangle of at most `width` x `height`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;

    #[test]
    fn a_cut_text_ends_with_an_ellipsis_and_keeps_its_width() {
        let plain = Theme::new(ColorDepth::None, false);
        let ascii = Theme::new(ColorDepth::None, true);
        assert_eq!(fit("s3-archive", 10, &plain), "s3-archive");
        assert_eq!(fit("s3-archive-old", 10, &plain), "s3-archiv…");
        assert_eq!(fit("s3-archive-old", 10, &ascii), "s3-arch...");
        assert_eq!(
            fit("日本語の名前", 7, &plain),
            "日本語…",
            "wide characters count twice"
        );
        assert_eq!(fit("abcdef", 2, &ascii), "..");
        assert_eq!(fit("abcdef", 0, &plain), "");
        let line = Line::from(vec![Span::raw("id "), Span::raw("s3-archive-old")]);
        let cut = fit_line(line, 12, &plain);
        assert_eq!(cut.to_string(), "id s3-archi…");
        assert_eq!(cut.width(), 12);
        let whole = Line::from(vec![Span::raw("abc"), Span::raw("def")]);
        assert_eq!(fit_line(whole.clone(), 6, &plain), whole);
        // The last span fits whole, the ellipsis does not follow it: the cut is in it.
        let tight = Line::from(vec![Span::raw("abc"), Span::raw("def"), Span::raw("g")]);
        assert_eq!(fit_line(tight, 6, &ascii).to_string(), "abc...");
    }
}
