//! Making foreign strings safe to store and show. A backend's answer, or a config file written by
//! someone else, must not be able to move the cursor, retitle the terminal or clear the screen.

/// Removes escape sequences (CSI, OSC, DCS and two-byte ESC forms), C0/C1 control characters and
/// bidirectional overrides; turns line breaks and tabs into spaces; bounds the length to
/// `max_chars` characters (ending in `…` when cut).
pub fn sanitize(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars * 4));
    let mut kept = 0usize;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI/OSC/DCS/SOS/PM/APC introduce the same sequences as their ESC forms.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\r' | '\t' => push_bounded(&mut out, &mut kept, ' ', max_chars),
            c if c.is_control() => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => push_bounded(&mut out, &mut kept, c, max_chars),
        }
        if kept > max_chars {
            break;
        }
    }
    if kept > max_chars {
        out.pop();
        out.push('…');
    }
    out
}

fn push_bounded(out: &mut String, kept: &mut usize, c: char, max_chars: usize) {
    if *kept <= max_chars {
        out.push(c);
        *kept += 1;
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-byte sequences (ESC c resets the terminal, ESC 7/8 save/restore the cursor, ...),
        // with intermediate bytes for forms such as ESC ( B.
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/...: up to BEL or the string terminator (ESC \ or 0x9c).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                break;
            }
            _ => {}
        }
    }
}

/// A compact age for lists: `12s ago`, `5m ago`, `3h ago`, `2d ago`.
pub fn age(secs: f64) -> String {
    let secs = secs.max(0.0) as u64;
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// A span of time for people, its two largest units: `45s`, `4m 10s`, `2h 5m`, `3d 4h`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3_599 => format!("{}m {}s", secs / 60, secs % 60),
        3_600..=86_399 => format!("{}h {}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// A duration for people: milliseconds below a second (`12.5 ms`), seconds above (`10.0 s`).
pub fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// The same, as compact as a narrow column needs: `12ms`, `1.5s`; below a millisecond with
/// its tenth (`0.3ms`, `<0.1ms`), so that a fast answer never reads as zero.
pub fn millis_compact(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else if ms >= 0.95 {
        format!("{ms:.0}ms")
    } else if ms >= 0.05 {
        format!("{ms:.1}ms")
    } else if ms > 0.0 {
        "<0.1ms".into()
    } else {
        "0ms".into()
    }
}

/// `1 error`, `2 errors`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Left-aligned columns separated by two spaces, for plain-text tables.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = widths[i].saturating_sub(cell.chars().count());
            text.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// A byte count for people: `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    humansize::format_size(n, humansize::BINARY)
}

/// A filesystem's space as it must be read, phrase by phrase: `21.30 GiB used`, `69.57 GiB
/// free of 90.87 GiB usable`, `(disk 251.97 GiB)`. Used and free are against what can be
/// written (used + available, as `df` counts it); the disk's size is said apart, and only when
/// it differs: blocks kept for root are in neither figure, so used + available is not the disk.
pub fn filesystem_phrases(used: u64, available: u64, total: Option<u64>) -> Vec<String> {
    let usable = used.saturating_add(available);
    let mut phrases = vec![
        format!("{} used", bytes(used)),
        format!("{} free of {} usable", bytes(available), bytes(usable)),
    ];
    if let Some(total) = total.filter(|total| *total != usable) {
        phrases.push(format!("(disk {})", bytes(total)));
    }
    phrases
}

/// [`filesystem_phrases`] on one line: `21.30 GiB used · 69.57 GiB free of 90.87 GiB usable
/// (disk 251.97 GiB)`.
pub fn filesystem_space(used: u64, available: u64, total: Option<u64>) -> String {
    let mut phrases = filesystem_phrases(used, available, total).into_iter();
    let mut line = phrases.next().unwrap_or_default();
    if let Some(free) = phrases.next() {
        line.push_str(" · ");
        line.push_str(&free);
    }
    for disk in phrases {
        line.push(' ');
        line.push_str(&disk);
    }
    line
}

/// A byte count for a narrow column: `91.6MiB`, `512B`.
pub fn bytes_compact(n: u64) -> String {
    let options = humansize::FormatSizeOptions::from(humansize::BINARY)
        .decimal_places(1)
        .space_after_value(false);
    humansize::format_size(n, options)
}

/// A count for a narrow column: exact below ten thousand (`9,999`), then SI (`16.3M`).
pub fn count_compact(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    if n < 10_000 {
        return count(n);
    }
    UNITS
        .iter()
        .find(|(size, _)| n >= *size)
        .map(|(size, unit)| format!("{:.1}{unit}", n as f64 / *size as f64))
        .unwrap_or_else(|| count(n))
}

/// A count with thousands separators: `1,520`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn a_filesystem_says_used_and_free_of_what_is_usable_and_the_disk_apart() {
        const GIB: u64 = 1 << 30;
        // The operator's disk: 251.97 GiB, of which 90.87 GiB can be written by everyone.
        let (used, available, total) = (21_496_094_720, 75_070_078_976, 270_553_174_016);
        assert_eq!(
            super::filesystem_space(used, available, Some(total)),
            "20.02 GiB used · 69.91 GiB free of 89.93 GiB usable (disk 251.97 GiB)"
        );
        assert_eq!(
            super::filesystem_space(GIB, GIB, Some(2 * GIB)),
            "1 GiB used · 1 GiB free of 2 GiB usable",
            "no blocks kept back: the disk is what is usable"
        );
        assert_eq!(
            super::filesystem_phrases(GIB, GIB, None),
            ["1 GiB used", "1 GiB free of 2 GiB usable"]
        );
    }

    #[test]
    fn strips_escape_sequences_and_controls() {
        let hostile = "ok\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\u{1b}]8;;http://x\u{1b}\\link\u{1b}cend\u{9b}31mX\u{8}\u{0}";
        let clean = sanitize(hostile, 100);
        assert_eq!(clean, "oklinkendX");
        assert!(!clean.chars().any(|c| c.is_control()));
    }

    #[test]
    fn keeps_text_and_bounds_length() {
        assert_eq!(sanitize("línea\nnext\ttab", 100), "línea next tab");
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(super::millis(12.46), "12.5 ms");
        assert_eq!(super::millis(10_001.3), "10.0 s");
        assert_eq!(super::millis_compact(999.4), "999ms");
        assert_eq!(super::millis_compact(1500.0), "1.5s");
        assert_eq!(super::millis_compact(0.3), "0.3ms", "fast is not zero");
        assert_eq!(super::millis_compact(0.01), "<0.1ms");
        assert_eq!(super::millis_compact(1.0), "1ms");
        assert_eq!(super::plural(1, "error", "errors"), "1 error");
        assert_eq!(super::plural(1200, "poll", "polls"), "1,200 polls");
        assert_eq!(sanitize("abc", 3), "abc");
        assert_eq!(sanitize("a\u{202e}b", 10), "ab");
    }

    #[test]
    fn compact_figures_fit_a_narrow_column() {
        assert_eq!(super::bytes_compact(96_022_806), "91.6MiB");
        assert_eq!(super::bytes_compact(512), "512B");
        assert_eq!(super::count_compact(9_999), "9,999");
        assert_eq!(super::count_compact(16_285_829), "16.3M");
        assert_eq!(super::count_compact(12_000), "12.0k");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1_520), "1,520");
        assert_eq!(super::count(1_234_567), "1,234,567");
    }

    #[test]
    fn unterminated_sequences_end_the_string() {
        assert_eq!(sanitize("a\u{1b}]0;title never ends", 100), "a");
        assert_eq!(sanitize("a\u{1b}[", 100), "a");
        assert_eq!(sanitize("a\u{1b}", 100), "a");
    }
}
