//! The summary line at the top: the fleet at a glance, as btop's header and k9s' cluster line
//! give it — backends by health, active alerts, the fullest backend, and the space used and
//! free over all of them. Pieces that do not fit the width are left off, least useful last.

use std::collections::{BTreeMap, BTreeSet};

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::stats::HealthStatus;
use crate::text::{bytes, bytes_compact, sanitize};
use crate::tui::model::Row;
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// Health states in the order the line counts them.
const ORDER: [HealthStatus; 8] = HealthStatus::ALL;

/// The sums over all backends, and whether a polled backend's figure is missing from them
/// (then a sum is a lower bound, and is shown as one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub used: Option<u64>,
    pub free: Option<u64>,
    pub partial: bool,
}

/// The space used and free over all backends, each storage counted once (directories of one
/// filesystem, backends of one bucket: `storage.identity`). A backend that is polled (enabled,
/// of a kind we probe) but gave no figure makes the sums partial.
pub fn totals(rows: &[Row]) -> Totals {
    let (used, free) = space_totals(rows);
    let partial = rows.iter().any(|r| {
        let polled = r.stats.enabled
            && !matches!(
                r.stats.health.status,
                HealthStatus::Disabled | HealthStatus::Unsupported
            );
        polled && r.stats.storage.used.is_none()
    });
    Totals {
        used,
        free,
        partial,
    }
}

/// One row per storage within each group of `group` (all rows, a kind, a host): rows of one
/// `storage.identity` are one storage, stood for by the same row every time — the first by id
/// of those with live figures, else the first by id — so that totals do not move while
/// nothing changes (two directories of a live disk never read the same figures twice). A row
/// without an identity is a storage of its own. In the rows' order.
pub fn one_per_storage<'a, K: Ord>(
    rows: impl IntoIterator<Item = &'a Row>,
    group: impl Fn(&'a Row) -> K,
) -> Vec<&'a Row> {
    let rows: Vec<&Row> = rows.into_iter().collect();
    let mut standing: BTreeMap<(K, &str), &Row> = BTreeMap::new();
    for row in &rows {
        let Some(identity) = row.stats.storage.identity.as_deref() else {
            continue;
        };
        let better =
            |held: &&Row| (row.figures_are_old(), row.id()) < (held.figures_are_old(), held.id());
        let key = (group(row), identity);
        match standing.get(&key) {
            Some(held) if !better(held) => {}
            _ => {
                standing.insert(key, row);
            }
        }
    }
    rows.into_iter()
        .filter(|row| match row.stats.storage.identity.as_deref() {
            None => true,
            Some(identity) => standing
                .get(&(group(row), identity))
                .is_some_and(|held| std::ptr::eq(*held, *row)),
        })
        .collect()
}

fn space_totals(rows: &[Row]) -> (Option<u64>, Option<u64>) {
    let (mut used, mut free) = (None::<u64>, None::<u64>);
    for row in one_per_storage(rows, |_| ()) {
        let storage = &row.stats.storage;
        if let Some(u) = storage.used {
            used = Some(used.unwrap_or(0).saturating_add(u));
        }
        if let Some(a) = storage.available {
            free = Some(free.unwrap_or(0).saturating_add(a));
        }
    }
    (used, free)
}

/// Space by kind: (kind, used, free), the kind using most first. A kind whose backends gave
/// no figure is left out. Used is the storage's, else the quota's, else what the inventory
/// counted; each storage counts once.
pub fn by_kind(rows: &[Row]) -> Vec<(&str, Option<u64>, Option<u64>)> {
    let mut kinds: Vec<(&str, Option<u64>, Option<u64>)> = Vec::new();
    for row in one_per_storage(rows, |row| row.stats.kind.as_str()) {
        let kind = row.stats.kind.as_str();
        let (used, free) = (row.used_bytes(), row.available_bytes());
        if used.is_none() && free.is_none() {
            continue;
        }
        let add = |sum: &mut Option<u64>, n: Option<u64>| {
            if let Some(n) = n {
                *sum = Some(sum.unwrap_or(0).saturating_add(n));
            }
        };
        match kinds.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, u, f)) => {
                add(u, used);
                add(f, free);
            }
            None => kinds.push((kind, used, free)),
        }
    }
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kinds
}

/// The fullest backend: the higher of its used % and quota %, with its id.
pub fn fullest(rows: &[Row]) -> Option<(&str, f64)> {
    rows.iter()
        .filter_map(|row| {
            let p = match (row.used_percent(), row.quota_percent()) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }?;
            Some((row.id(), p))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The fleet view's totals per host: (host, backends, down, used bytes, whether it is
/// unreachable), in the hosts' order. Used is the sum of what each backend reports (a
/// filesystem's figures counted once per host).
pub fn by_host(app: &App) -> Vec<(String, usize, usize, Option<u64>, bool)> {
    let Some(fleet) = &app.fleet else {
        return Vec::new();
    };
    // One pass over the rows (a fleet has many), then the hosts in their order.
    let mut per_host: std::collections::HashMap<&str, (usize, usize, Option<u64>)> =
        std::collections::HashMap::new();
    let counted: BTreeSet<*const Row> =
        one_per_storage(app.backends.rows(), |row| row.host.as_deref())
            .into_iter()
            .map(|row| row as *const Row)
            .collect();
    for row in app.backends.rows() {
        let Some(host) = row.host.as_deref() else {
            continue;
        };
        if row.stats.kind == crate::fleet::EXPORTER_KIND {
            continue;
        }
        let (backends, down, used) = per_host.entry(host).or_default();
        *backends += 1;
        if row.stats.health.status == HealthStatus::Down {
            *down += 1;
        }
        if !counted.contains(&(row as *const Row)) {
            continue;
        }
        if let Some(u) = row.used_bytes() {
            *used = Some(used.unwrap_or(0).saturating_add(u));
        }
    }
    fleet
        .hosts
        .iter()
        .map(|host| {
            let (backends, down, used) = per_host
                .get(host.instance.as_str())
                .copied()
                .unwrap_or_default();
            (host.instance.clone(), backends, down, used, !host.up)
        })
        .collect()
}

/// The fleet view's first pieces: where the figures come from, that nothing can be changed
/// from here, and the hosts (unreachable ones counted).
fn fleet_pieces<'a>(app: &'a App, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    let Some(fleet) = &app.fleet else {
        return Vec::new();
    };
    let mut pieces = vec![vec![
        Span::styled("fleet ", theme.accent().add_modifier(Modifier::BOLD)),
        Span::raw(sanitize(&fleet.url, 40)),
        Span::styled(" read-only", theme.dim()),
    ]];
    if let Some(error) = &fleet.error {
        pieces.push(vec![Span::styled(sanitize(error, 100), theme.error())]);
    }
    let hosts = fleet.hosts.len();
    let mut piece = vec![Span::styled(
        format!("{hosts} host{}", if hosts == 1 { "" } else { "s" }),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let unreachable = fleet.unreachable();
    if unreachable > 0 {
        piece.push(Span::styled(
            format!(" ({unreachable} unreachable)"),
            theme.error(),
        ));
    }
    pieces.push(piece);
    pieces
}

/// The line for `app` at `width` cells.
pub fn line<'a>(app: &'a App, theme: &Theme, width: u16) -> Line<'a> {
    let rows = app.backends.rows();
    let separator = if theme.ascii { " | " } else { " · " };
    let mut pieces: Vec<Vec<Span<'a>>> = fleet_pieces(app, theme);
    // The console's own trouble first: figures it cannot save are the operator's to know.
    if let Some(trouble) = app.home.problem() {
        let mark = if theme.ascii { "x" } else { "✗" };
        pieces.push(vec![Span::styled(
            format!(
                "{mark} cannot save to the home: {} (L: log)",
                sanitize(&trouble.reason, 90)
            ),
            theme.error().add_modifier(Modifier::BOLD),
        )]);
    }
    let count = rows.len();
    pieces.push(vec![Span::styled(
        format!("{count} backend{}", if count == 1 { "" } else { "s" }),
        Style::default().add_modifier(Modifier::BOLD),
    )]);
    let mut by_health = Vec::new();
    for status in ORDER {
        let n = rows
            .iter()
            .filter(|r| r.stats.health.status == status)
            .count();
        if n == 0 {
            continue;
        }
        let symbol = theme
            .health_label(status)
            .split_whitespace()
            .next()
            .unwrap_or("?");
        if !by_health.is_empty() {
            by_health.push(Span::raw(" "));
        }
        by_health.push(Span::styled(format!("{symbol}{n}"), theme.health(status)));
    }
    if !by_health.is_empty() {
        pieces.push(by_health);
    }
    // The fleet view's totals per host, right after the health: each host
    // a piece of its own, left off one by one as the width ends.
    for (host, backends, down, used, unreachable) in by_host(app) {
        let mut piece = vec![Span::styled(
            format!(
                "{} ",
                crate::tui::widgets::fit(&sanitize(&host, 64), 24, theme)
            ),
            theme.dim(),
        )];
        if unreachable {
            piece.push(Span::styled("unreachable ", theme.error()));
        }
        piece.push(Span::raw(format!("{backends}")));
        if down > 0 {
            // As the health counts write it: ✗2.
            let symbol = theme
                .health_label(HealthStatus::Down)
                .split_whitespace()
                .next()
                .unwrap_or("down");
            piece.push(Span::styled(
                format!(" {symbol}{down}"),
                theme.health(HealthStatus::Down),
            ));
        }
        if let Some(used) = used {
            piece.push(Span::raw(format!(" {}", bytes_compact(used))));
        }
        pieces.push(piece);
    }
    let alerts = app.alerts.active_count(app.now);
    if alerts > 0 {
        pieces.push(vec![Span::styled(
            format!("{alerts} alert{}", if alerts == 1 { "" } else { "s" }),
            theme.warning(),
        )]);
    }
    if let Some((id, percent)) = fullest(rows) {
        pieces.push(vec![
            Span::styled("fullest ", theme.dim()),
            Span::raw(format!(
                "{} ",
                crate::tui::widgets::fit(&sanitize(id, 64), 24, theme)
            )),
            Span::styled(format!("{percent:.1}%"), theme.gauge(percent)),
        ]);
    }
    let totals = totals(rows);
    // A sum that misses a backend's figure is at least that much, and says so.
    let at_least = if totals.partial { "≥" } else { "" };
    if let Some(used) = totals.used {
        pieces.push(vec![
            Span::styled("used ", theme.dim()),
            Span::raw(format!("{at_least}{}", bytes(used))),
        ]);
    }
    if let Some(free) = totals.free {
        pieces.push(vec![
            Span::styled("free ", theme.dim()),
            Span::raw(format!("{at_least}{}", bytes(free))),
        ]);
    }
    // By kind last: each kind is a piece of its own, left off one by one as the width ends.
    let kinds = by_kind(rows);
    if kinds.len() > 1 {
        for (kind, used, free) in kinds {
            let mut piece = vec![Span::styled(
                format!(
                    "{} ",
                    crate::tui::widgets::fit(&sanitize(kind, 64), 14, theme)
                ),
                theme.dim(),
            )];
            piece.push(Span::raw(used.map_or_else(|| "?".into(), bytes_compact)));
            if let Some(free) = free {
                piece.push(Span::styled(" free ", theme.dim()));
                piece.push(Span::raw(bytes_compact(free)));
            }
            pieces.push(piece);
        }
    }
    let mut spans = Vec::new();
    let mut used_width = 0usize;
    for piece in pieces {
        let piece_width: usize = piece.iter().map(|s| s.content.chars().count()).sum();
        let sep = if spans.is_empty() {
            0
        } else {
            separator.chars().count()
        };
        if used_width + sep + piece_width > usize::from(width) {
            break;
        }
        if sep > 0 {
            spans.push(Span::styled(separator, theme.dim()));
        }
        used_width += sep + piece_width;
        spans.extend(piece);
    }
    Line::from(spans)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    frame.render_widget(Paragraph::new(line(app, theme, area.width)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{BackendStats, Storage};

    fn row(id: &str, storage: Storage) -> Row {
        Row {
            host: None,
            stats: BackendStats {
                id: id.into(),
                enabled: true,
                storage,
                ..BackendStats::default()
            },
            history: Vec::new(),
        }
    }

    #[test]
    fn directories_of_one_filesystem_are_counted_once() {
        let disk = Storage::filesystem(Some(1000), Some(400), Some(500)).with_identity("fs:803:1");
        let rows = vec![
            row("a", disk.clone()),
            row("b", disk),
            row("bucket", Storage::new(None, Some(50), None)),
            row("unknown", Storage::default()),
        ];
        assert_eq!(space_totals(&rows), (Some(450), Some(500)));
        assert_eq!(space_totals(&rows[3..]), (None, None), "unknown, not 0");
        // `unknown` is polled but has no figure: the sums are lower bounds.
        assert!(totals(&rows).partial);
        assert!(!totals(&rows[..3]).partial);
        let mut off = row("off", Storage::default());
        off.stats.enabled = false;
        off.stats.health.status = HealthStatus::Disabled;
        assert!(
            !totals(&[rows[0].clone(), off]).partial,
            "disabled: not expected"
        );
    }

    #[test]
    fn the_fullest_is_the_higher_of_used_and_quota() {
        let rows = vec![
            row("a", Storage::filesystem(Some(100), Some(40), Some(60))),
            row("b", Storage::filesystem(Some(100), Some(90), Some(10))),
        ];
        assert_eq!(fullest(&rows), Some(("b", 90.0)));
        assert_eq!(fullest(&[]), None);
    }

    #[test]
    fn one_filesystem_read_at_two_moments_is_one_filesystem_and_its_total_holds_still() {
        // Three directories of one live disk, polled a second apart: no two read alike.
        let read = |used: u64| {
            Storage::filesystem(Some(100_000), Some(used), Some(100_000 - used))
                .with_identity("fs:803:a1b2")
        };
        let mut rows = vec![
            row("photos", read(21_000)),
            row("backups", read(21_004)),
            row("scratch", read(21_009)),
            row("other-disk", read(5).with_identity("fs:811:c3d4")),
        ];
        // Counted once, as the first by id with live figures reads it (backups).
        assert_eq!(space_totals(&rows), (Some(21_009), Some(78_996 + 99_995)));
        // Another round: the other two move, the total stands for the same directory.
        rows[0].stats.storage = read(21_100);
        rows[2].stats.storage = read(21_200);
        assert_eq!(space_totals(&rows).0, Some(21_009));
        // Backends with equal figures but no shared identity are two storages.
        let plain = Storage::filesystem(Some(10), Some(4), Some(6));
        assert_eq!(
            space_totals(&[row("x", plain.clone()), row("y", plain)]),
            (Some(8), Some(12))
        );
        // A stale reading does not stand for the filesystem while a live one exists.
        rows[1].stats.stale = true;
        assert_eq!(space_totals(&rows).0, Some(21_100 + 5));
    }

    #[test]
    fn space_by_kind_counts_a_filesystem_once_and_leaves_unknowns_out() {
        let disk = Storage::filesystem(Some(1000), Some(400), Some(500)).with_identity("fs:1:2");
        let mut rows = vec![
            row("a", disk.clone()),
            row("b", disk),
            row("bucket", Storage::default()),
            row("unknown", Storage::default()),
        ];
        for r in &mut rows[..2] {
            r.stats.kind = "local".into();
        }
        rows[2].stats.kind = "s3".into();
        rows[2].stats.quota.used = Some(7_000);
        rows[3].stats.kind = "ipfs".into();
        assert_eq!(
            by_kind(&rows),
            vec![("s3", Some(7_000), None), ("local", Some(400), Some(500))]
        );
    }
}
