//! The detail of the selected backend: its block and title, its text (`detail_text.rs`: health,
//! gauges, kept figures, files, speed, vital figures, nodes) and below it charts of its kept
//! history over the chosen range (`[` `]`): response time, used bytes, objects and throughput
//! where the kind reports them, as many as the height holds, side by side in a wide full-screen
//! detail.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::chart::{self, Figure, Series};
use super::detail_text::text_lines;
use super::facts::{fact, flow};
use super::layout::{DetailArea, Fit};
use crate::text::sanitize;
use crate::tui::model::Row;
use crate::tui::state::App;
use crate::tui::state::Pane;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

/// Draws the detail of `row` where the layout put it.
pub fn draw(frame: &mut Frame, detail: DetailArea, app: &App, row: &Row, theme: &Theme) {
    draw_detail(frame, detail.area, app, row, theme, detail.fit, detail.full);
}

/// The history the charts of `row` draw over the chosen range: what was read for it (kept
/// current with each poll), else its recent points in memory.
pub fn chart_series<'a>(app: &'a App, row: &'a Row) -> Series<'a> {
    let range = app.chart_range;
    let end = u64::try_from(app.now).unwrap_or(0);
    let start = end.saturating_sub(range.secs());
    let projection = projection(row);
    match app.charts.for_backend(&row.stats.id, range) {
        Some(kept) => Series {
            points: &kept.points,
            fine_from: kept.fine_from,
            start,
            end,
            projection,
        },
        None => Series {
            points: &row.history,
            fine_from: 0,
            start,
            end,
            projection,
        },
    }
}

/// The forecast of `row` as the used chart can draw it: only when the used bytes it projects
/// are the ones that chart shows (a filesystem's where there is one, else the quota's).
fn projection(row: &Row) -> Option<chart::Projection> {
    use crate::stats::forecast::{LimitSource, OutlookKind};
    let forecast = row.stats.forecast.as_ref()?;
    if forecast.outlook != OutlookKind::Filling {
        return None;
    }
    let stats = &row.stats;
    let filled = match forecast.limit_source {
        LimitSource::Capacity => stats.storage.used,
        LimitSource::Quota | LimitSource::GcThreshold => stats.quota.used,
    };
    let charted = filled.is_some() && filled == stats.storage.used.or(stats.quota.used);
    charted.then_some(chart::Projection {
        full_at: forecast.full_at_unix()?,
        limit: forecast.limit_bytes as f64,
    })
}

/// Charts side by side need at least this width each (the full-screen detail on a wide
/// terminal).
const SIDE_BY_SIDE_MIN_WIDTH: u16 = 50;

/// Where the charts go below the text: as many as fit at `MIN_HEIGHT` (one in `--lite`), in
/// one column, or two in a wide full-screen detail, sharing all the height there is.
fn chart_areas(area: Rect, count: usize, full: bool, lite: bool) -> Vec<Rect> {
    let columns: u16 = if full && area.width >= 2 * SIDE_BY_SIDE_MIN_WIDTH {
        2
    } else {
        1
    };
    let wanted = if lite { count.min(1) } else { count };
    let rows_fit = usize::from(area.height / chart::MIN_HEIGHT);
    let shown = wanted.min(rows_fit * usize::from(columns));
    if shown == 0 || area.width < chart::MIN_WIDTH {
        return Vec::new();
    }
    let columns = usize::from(columns);
    let rows = shown.div_ceil(columns);
    let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows]).split(area);
    let mut areas = Vec::new();
    for (i, row_area) in row_areas.iter().enumerate() {
        // The last row's charts share its width: an odd one out is as wide as the row.
        let here = columns.min(shown - i * columns);
        let cells = Layout::horizontal(vec![Constraint::Fill(1); here])
            .spacing(2)
            .split(*row_area);
        areas.extend(cells.iter().copied());
    }
    areas
}

fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    row: &Row,
    theme: &Theme,
    fit: Fit,
    full: bool,
) {
    let stats = &row.stats;
    let focused = app.focus == Pane::Detail;
    // The titles are cut to what the range's title leaves: laid out once the charts are.
    let inner = block(Line::default(), focused, theme).inner(area);
    let mut lines = text_lines(app, row, theme, fit, full, inner.width);

    let series = chart_series(app, row);
    let visible = series.visible();
    let range = app.chart_range.name();
    let figures: Vec<Figure> = Figure::ALL
        .into_iter()
        .filter(|f| f.reported(visible))
        .collect();
    let reading =
        app.charts.is_reading() && app.charts.for_backend(&stats.id, app.chart_range).is_none();
    if visible.is_empty() {
        let said = if reading {
            format!("reading the last {range}…")
        } else {
            format!("no polls in the last {range}  ([ ] range)")
        };
        lines.extend(flow(
            "History",
            theme.dim(),
            vec![fact(said, theme.dim())],
            "",
            inner.width,
        ));
    }
    // The timeline below the text, in the rows the text leaves, less one chart's when there
    // are charts to draw (the charts take what is left).
    if app.fleet.is_none() {
        let chart_rows = if figures.is_empty() {
            0
        } else {
            usize::from(chart::MIN_HEIGHT)
        };
        let left = usize::from(inner.height)
            .saturating_sub(lines.len())
            .saturating_sub(chart_rows);
        let rows = super::timeline::rows_wanted(full).min(left);
        if rows >= 2 {
            lines.extend(super::timeline::timeline_lines(
                app,
                &stats.id,
                theme,
                inner.width,
                rows,
            ));
        }
    }
    let text_height = (lines.len() as u16).min(inner.height);
    let [text_area, charts_area] =
        Layout::vertical([Constraint::Length(text_height), Constraint::Min(0)]).areas(inner);
    let areas = chart_areas(charts_area, figures.len(), full, app.lite);
    let range_title = (!areas.is_empty()).then(|| {
        let mut range_title = vec![Span::styled(format!(" last {range}"), theme.accent())];
        if reading {
            range_title.push(Span::styled(" reading…", theme.dim()));
        }
        range_title.push(Span::styled(" [ ] range ", theme.dim()));
        Line::from(range_title).right_aligned()
    });
    // The id and kind in what the corners and the range leave, cut with an ellipsis.
    let mut title = vec![
        Span::styled(format!(" {} ", sanitize(&stats.id, 64)), theme.title()),
        Span::styled(format!("({}) ", sanitize(&stats.kind, 20)), theme.dim()),
    ];
    if full {
        title.push(Span::styled("Esc back ", theme.dim()));
    }
    let right_width = range_title.as_ref().map_or(0, |t| t.width() + 1);
    let room = usize::from(area.width).saturating_sub(2 + right_width);
    let mut outer = block(
        crate::tui::widgets::fit_line(Line::from(title), room, theme),
        focused,
        theme,
    );
    if let Some(range_title) = range_title {
        outer = outer.title(range_title);
    }
    frame.render_widget(outer, area);
    // A fact wider than the pane is cut at its edge, and says so.
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|line| crate::tui::widgets::fit_line(line, usize::from(inner.width), theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), text_area);
    let old = row.figures_are_old();
    for (figure, chart_area) in figures.into_iter().zip(areas) {
        chart::draw(frame, chart_area, figure, &series, theme, old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::HealthStatus;
    use crate::tui::panes::ages::checked_label;

    use crate::monitor::history::{KeptHistory, Point};
    use crate::stats::{
        BackendStats, Files, Health, NodeView, Performance, Quota, QuotaSource, Source,
    };
    use crate::tui::message::{Cmd, Msg};
    use crate::tui::model::ChartRange;
    use crate::tui::theme::ColorDepth;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    /// 2026-11-18T12:00:00Z
    const NOW: i64 = 1_795_003_200;
    const MIB: u64 = 1 << 20;

    fn ts(offset: i64) -> String {
        chrono::DateTime::from_timestamp(NOW + offset, 0)
            .unwrap()
            .to_rfc3339()
    }

    fn stats(id: &str, kind: &str) -> BackendStats {
        BackendStats {
            id: id.into(),
            kind: kind.into(),
            enabled: true,
            health: Health {
                status: HealthStatus::Healthy,
                message: None,
                checked_at: Some(ts(-3)),
                failure: None,
                next_check_at: None,
            },
            source: Source::Live,
            updated_at: Some(ts(-3)),
            ..BackendStats::default()
        }
    }

    /// The last hour of an S3 bucket, a poll every 5 s: the console was not running from
    /// 35 to 20 minutes ago, a poll in 97 failed, 80 MiB were uploaded 10 minutes ago.
    fn garage_hour() -> Vec<Point> {
        (0..720u64)
            .rev()
            .map(|i| NOW as u64 - i * 5)
            .filter(|at| !(NOW as u64 - 35 * 60..NOW as u64 - 20 * 60).contains(at))
            .enumerate()
            .map(|(n, at)| {
                let ago = NOW as u64 - at;
                // The upload: 5 minutes of growth ending 5 minutes ago.
                let uploaded = (600u64.saturating_sub(ago)).min(300) * 80 * MIB / 300;
                if n % 97 == 13 {
                    return Point {
                        at,
                        ..Point::default()
                    };
                }
                Point {
                    at,
                    response_ms: Some(8.0 + (n % 7) as f32 * 3.0),
                    used_bytes: Some(700 * MIB + uploaded),
                    objects: Some(1_500 + uploaded / (4 * MIB)),
                    ..Point::default()
                }
            })
            .collect()
    }

    /// A day of a Kubo node: 10-minute buckets until 2 hours ago (history_hours 2), then a poll
    /// every 5 s; its repository barely moves; it reports its bandwidth.
    fn kubo_day() -> KeptHistory {
        let fine_from = NOW as u64 - 2 * 3600;
        let bucket = |i: u64| {
            let at = fine_from - i * 600;
            let wave = ((at / 600) % 12) as f32;
            Point {
                at,
                response_ms: Some(30.0 + wave * 2.0),
                used_bytes: Some(9_400_000_000 + at % 3),
                rate_in: Some(200_000.0 + wave * 50_000.0),
                rate_out: Some(80_000.0 + wave * 10_000.0),
                ..Point::default()
            }
        };
        let mut points: Vec<Point> = (1..=132).rev().map(bucket).collect();
        points.extend((0..1440u64).rev().map(|i| {
            let at = NOW as u64 - i * 5;
            Point {
                at,
                response_ms: Some(25.0 + (i % 11) as f32),
                used_bytes: Some(9_400_000_000 + i % 3),
                rate_in: Some(900_000.0 + (i % 40) as f32 * 10_000.0),
                rate_out: Some(120_000.0),
                ..Point::default()
            }
        }));
        KeptHistory { points, fine_from }
    }

    fn rows() -> Vec<Row> {
        let mut garage = stats("garage-media", "s3");
        garage.storage = crate::stats::Storage::new(None, Some(780 * MIB), None);
        garage.quota = Quota {
            objects_limit: Some(10_000),
            objects_used: Some(1_520),
            ..Quota::bytes(Some(1 << 30), Some(780 * MIB), QuotaSource::Garage)
        };
        garage.files = Files {
            count: Some(1_520),
            bytes: Some(780 * MIB),
            largest: Some(70 * MIB),
            partial: false,
            as_of: None,
        };
        garage.performance = Performance {
            avg_response_time: Some(12.5),
            p95_response_time: Some(40.1),
            success_rate: Some(0.998),
            error_count: Some(2),
            request_count: Some(1000),
        };
        garage.vital = serde_json::json!({"version": "2.5.0", "cluster_status": "healthy"})
            .as_object()
            .unwrap()
            .clone();
        let mut kubo = stats("kubo-main", "ipfs");
        kubo.storage = crate::stats::Storage::new(None, Some(9_400_000_002), None);
        kubo.quota = Quota::bytes(
            Some(10_000_000_000),
            Some(9_400_000_002),
            QuotaSource::GcThreshold,
        );
        kubo.vital = serde_json::json!({"version": "0.32.1", "peers": 41, "rate_in": 1_290_000.0})
            .as_object()
            .unwrap()
            .clone();
        // In memory: the last 25 minutes, as the runtime hands them over.
        let recent = |points: &[Point]| points[points.len().saturating_sub(300)..].to_vec();
        vec![
            Row {
                host: None,
                history: recent(&garage_hour()),
                stats: garage,
            },
            Row {
                host: None,
                history: recent(&kubo_day().points),
                stats: kubo,
            },
        ]
    }

    fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// The console at `width` x `height` with the backends, `garage-media` selected and its
    /// last hour read from its history file.
    fn app(width: u16, height: u16, lite: bool) -> App {
        let mut app = App::new(NOW, false, lite);
        app.update(Msg::Snapshot {
            rows: rows(),
            problems: Vec::new(),
        });
        app.messages.clear();
        app.update(Msg::Resize { width, height });
        app.update(Msg::History {
            id: "garage-media".into(),
            range: ChartRange::Hour1,
            history: KeptHistory {
                points: garage_hour(),
                fine_from: 0,
            },
        });
        app
    }

    fn screen(app: &App, ascii: bool) -> Terminal<TestBackend> {
        // The full-screen detail says when the figures are from in local time: pin it.
        std::env::set_var("TZ", "UTC");
        let size = app.size.unwrap();
        let mut terminal = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
        let theme = Theme::new(ColorDepth::None, ascii);
        terminal
            .draw(|frame| crate::tui::view::draw(frame, app, &theme))
            .unwrap();
        terminal
    }

    fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
        crate::tui::test_support::screen_lines(terminal.backend().buffer())
    }

    const SIZES: [(u16, u16); 4] = [(200, 50), (120, 40), (80, 24), (40, 12)];

    #[test]
    fn list_and_detail_with_charts() {
        for (w, h) in SIZES {
            let app = app(w, h, false);
            insta::assert_snapshot!(
                format!("list_detail_{w}x{h}"),
                screen(&app, false).backend()
            );
        }
    }

    /// `garage-media` in a maintenance window with 1h 59m 30s left, while it is down.
    fn in_maintenance(app: &mut App) {
        let mut row = app.backends.get("garage-media").unwrap().clone();
        row.stats.health.status = crate::stats::HealthStatus::Down;
        row.stats.health.message = Some("connection refused by 10.0.0.5:3900".into());
        let at = |secs: i64| {
            crate::store::timestamp::format(
                chrono::DateTime::from_timestamp(NOW + secs, 0).unwrap(),
            )
        };
        row.stats.maintenance = Some(crate::stats::MaintenanceBrief {
            since: at(-30),
            until: at(2 * 3600 - 30),
            reason: Some("disk swap in rack 4".into()),
        });
        app.update(Msg::Stats {
            stats: Box::new(row.stats),
            point: None,
        });
    }

    #[test]
    fn a_backend_in_maintenance_says_so_with_the_time_left() {
        for (w, h) in SIZES {
            let mut app = app(w, h, false);
            in_maintenance(&mut app);
            let terminal = screen(&app, false);
            let text = lines(&terminal).join("\n");
            assert!(text.contains("◷ maintenance"), "{w}x{h}:\n{text}");
            insta::assert_snapshot!(
                format!("list_detail_maintenance_{w}x{h}"),
                terminal.backend()
            );
        }
        // The list and the detail say the time left; under --ascii, in ASCII.
        let mut app = app(120, 40, false);
        in_maintenance(&mut app);
        let text = lines(&screen(&app, false)).join("\n");
        assert!(text.contains("◷ maintenance 1h59m"), "{text}");
        assert!(
            text.contains("ends in 1h59m") && text.contains("disk swap in rack 4"),
            "{text}"
        );
        assert!(text.contains("alerts held"), "{text}");
        let ascii = lines(&screen(&app, true)).join("\n");
        assert!(ascii.contains("~ maintenance 1h59m"), "{ascii}");
        // A minute on, the list counts down.
        app.dirty = false;
        app.update(Msg::Tick(NOW + 60));
        assert!(app.dirty, "a frame for the new time left");
        let text = lines(&screen(&app, false)).join("\n");
        assert!(text.contains("◷ maintenance 1h58m"), "{text}");
    }

    #[test]
    fn full_screen_detail_with_charts() {
        for (w, h) in SIZES {
            let mut app = app(w, h, false);
            key(&mut app, KeyCode::Enter);
            insta::assert_snapshot!(
                format!("full_detail_{w}x{h}"),
                screen(&app, false).backend()
            );
        }
    }

    #[test]
    fn lite_draws_one_chart_in_the_room_there_is() {
        let app = app(120, 40, true);
        let terminal = screen(&app, false);
        let text = lines(&terminal).join("\n");
        assert!(text.contains("Response time") && !text.contains("Objects  1,520"));
        insta::assert_snapshot!("list_detail_lite_120x40", terminal.backend());
    }

    #[test]
    fn a_day_of_a_kubo_node_with_its_throughput() {
        let mut app = app(120, 40, false);
        key(&mut app, KeyCode::Char('j'));
        key(&mut app, KeyCode::Enter);
        app.update(Msg::History {
            id: "kubo-main".into(),
            range: ChartRange::Hour1,
            history: KeptHistory::default(),
        });
        let cmds = key(&mut app, KeyCode::Char(']'));
        assert_eq!(
            cmds,
            [Cmd::LoadHistory {
                id: "kubo-main".into(),
                range: ChartRange::Hours24
            }]
        );
        app.update(Msg::History {
            id: "kubo-main".into(),
            range: ChartRange::Hours24,
            history: kubo_day(),
        });
        let terminal = screen(&app, false);
        let text = lines(&terminal).join("\n");
        assert!(text.contains("Throughput"), "{text}");
        assert!(
            !text.contains("Objects  "),
            "never reported, no chart: {text}"
        );
        insta::assert_snapshot!("full_detail_kubo_24h_120x40", terminal.backend());
        let ascii = lines(&screen(&app, true));
        assert!(ascii.iter().all(|l| l.is_ascii()), "{ascii:#?}");
        insta::assert_snapshot!("full_detail_kubo_24h_ascii_120x40", ascii.join("\n"));
    }

    /// The console with `garage-media`'s availability: its summary on the row, then its
    /// incidents as read for the detail.
    fn app_with_incidents(width: u16, height: u16) -> App {
        use crate::stats::availability::{
            rfc3339, AvailabilityReport, AvailabilitySummary, IncidentReport,
        };
        let mut app = app(width, height, false);
        let at = |ago: i64| rfc3339((NOW - ago) as u64);
        let mut rows = rows();
        rows[0].stats.availability = Some(AvailabilitySummary {
            up_24h: Some(98.614),
            up_7d: Some(99.8),
            up_30d: Some(99.95),
            incidents_30d: 2,
            mttr_secs: Some(250),
            down_since: None,
        });
        let cmds = app.update(Msg::Snapshot {
            rows,
            problems: Vec::new(),
        });
        // Read as soon as the detail shows a backend with a summary (below 80 columns the
        // detail is not beside the list).
        assert_eq!(
            cmds.contains(&Cmd::LoadAvailability("garage-media".into())),
            width >= 80,
            "{cmds:?}"
        );
        let incident =
            |start: i64, end: i64, approximate: bool, reason: Option<&str>| IncidentReport {
                start: at(start),
                end: Some(at(end)),
                ongoing: false,
                duration_secs: (start - end) as u64,
                failed_polls: ((start - end) / 5) as u64,
                approximate,
                reason: reason.map(str::to_string),
            };
        app.update(Msg::Availability {
            id: "garage-media".into(),
            report: Some(Box::new(AvailabilityReport {
                backend: "garage-media".into(),
                at: at(0),
                up_24h: Some(98.614),
                up_7d: Some(99.8),
                up_30d: Some(99.95),
                mttr_secs: Some(250),
                incidents: vec![
                    incident(3 * 86_400, 3 * 86_400 - 600, true, None),
                    incident(
                        5_000,
                        5_000 - 250,
                        false,
                        Some("connection refused (is the server running?)"),
                    ),
                ],
            })),
        });
        app
    }

    #[test]
    fn availability_section_with_incidents() {
        for (w, h) in SIZES {
            let mut app = app_with_incidents(w, h);
            insta::assert_snapshot!(
                format!("list_detail_availability_{w}x{h}"),
                screen(&app, false).backend()
            );
            key(&mut app, KeyCode::Enter);
            let terminal = screen(&app, false);
            if w >= 80 {
                let text = lines(&terminal).join("\n");
                assert!(text.contains("24h 98.61%"), "cut, not rounded: {text}");
                assert!(text.contains("connection refused"), "{text}");
            }
            insta::assert_snapshot!(
                format!("full_detail_availability_{w}x{h}"),
                terminal.backend()
            );
        }
    }

    #[test]
    fn selection_and_range_changes_read_the_history_once() {
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: rows(),
            problems: Vec::new(),
        });
        let read = |id: &str, range| Cmd::LoadHistory {
            id: id.into(),
            range,
        };
        // Nothing is read before the detail is on screen.
        assert!(!app
            .update(Msg::Tick(NOW))
            .contains(&read("garage-media", ChartRange::Hour1)));
        let cmds = app.update(Msg::Resize {
            width: 120,
            height: 40,
        });
        assert_eq!(
            cmds,
            [
                read("garage-media", ChartRange::Hour1),
                Cmd::LoadEvents("garage-media".into())
            ],
            "the charts' history and the timeline"
        );
        assert!(
            app.update(Msg::Tick(NOW + 1)).is_empty(),
            "one read at a time"
        );
        app.update(Msg::History {
            id: "garage-media".into(),
            range: ChartRange::Hour1,
            history: KeptHistory::default(),
        });
        assert_eq!(
            key(&mut app, KeyCode::Char('j')),
            [read("kubo-main", ChartRange::Hour1)]
        );
        app.update(Msg::History {
            id: "kubo-main".into(),
            range: ChartRange::Hour1,
            history: kubo_day(),
        });
        // A new poll's point is added without reading the file.
        let row = rows().remove(1);
        let last = row.history.last().copied().unwrap();
        let point = Point {
            at: last.at + 5,
            ..last
        };
        assert!(app
            .update(Msg::Stats {
                stats: Box::new(row.stats),
                point: Some(point),
            })
            .is_empty());
        let held = app
            .charts
            .for_backend("kubo-main", ChartRange::Hour1)
            .unwrap();
        assert_eq!(held.points.last().unwrap().at, last.at + 5);
        // A minute on, the hour (longer than memory holds) is read again.
        assert_eq!(
            app.update(Msg::Tick(NOW + 61)),
            [read("kubo-main", ChartRange::Hour1)]
        );
        // `:range 7d` reads that range when the read under way answers.
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(':'),
            KeyModifiers::NONE,
        )));
        for c in "range 7d".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        assert!(key(&mut app, KeyCode::Enter).is_empty());
        assert_eq!(app.chart_range, ChartRange::Days7);
        let cmds = app.update(Msg::History {
            id: "kubo-main".into(),
            range: ChartRange::Hour1,
            history: KeptHistory::default(),
        });
        assert_eq!(cmds, [read("kubo-main", ChartRange::Days7)]);
    }

    #[test]
    fn no_phrase_is_split_and_the_detail_uses_its_rows() {
        for (w, h) in [(120, 40), (200, 50)] {
            for lite in [false, true] {
                let app = app(w, h, lite);
                let terminal = screen(&app, false);
                let buffer = terminal.backend().buffer();
                let area = super::super::layout::regions(buffer.area, &app)
                    .detail
                    .unwrap()
                    .area;
                let detail: Vec<String> = (area.top() + 1..area.bottom() - 1)
                    .map(|y| {
                        (area.left() + 1..area.right() - 1)
                            .map(|x| buffer[(x, y)].symbol())
                            .collect()
                    })
                    .collect();
                let text = detail.join("\n");
                assert!(text.contains("2 errors in 1,000 polls"), "{text}");
                let blank = detail.iter().filter(|r| r.trim().is_empty()).count();
                assert_eq!(blank, 0, "{w}x{h} lite {lite}:\n{text}");
            }
        }
    }

    /// A morning of `garage-media`: an outage with its alert and a failed test, an edit, an
    /// inventory, and a kind a newer version wrote.
    fn garage_timeline() -> Vec<crate::monitor::timeline::TimelineEvent> {
        use crate::monitor::alerts::Rule;
        use crate::monitor::timeline::{AlertClosing, Origin, TimelineEvent, What};
        use crate::probe::ErrorClass;
        let at = |ago: i64| ts(-ago);
        let event = |ago: i64, what: What| TimelineEvent {
            at: at(ago),
            what,
            raw: None,
        };
        let refused = "connection refused by 10.0.0.5:3900";
        let mut events = vec![
            event(
                3 * 3600,
                What::Health {
                    from: HealthStatus::Healthy,
                    to: HealthStatus::Down,
                    from_since: Some(at(30 * 3600)),
                    duration_secs: Some(27 * 3600),
                    reason: None,
                    message: Some(refused.into()),
                },
            ),
            event(
                3 * 3600 - 15,
                What::AlertRaised {
                    rule: Rule::Down,
                    message: "down for 3 polls".into(),
                },
            ),
            event(
                3 * 3600 - 60,
                What::Test {
                    ok: false,
                    origin: Origin::Console,
                    write: false,
                    elapsed_ms: 3.2,
                    step: Some("reachable: HeadBucket".into()),
                    class: Some(ErrorClass::Refused),
                    error: Some(refused.into()),
                },
            ),
            event(
                3 * 3600 - 240,
                What::Health {
                    from: HealthStatus::Down,
                    to: HealthStatus::Healthy,
                    from_since: Some(at(3 * 3600)),
                    duration_secs: Some(240),
                    reason: Some(refused.into()),
                    message: None,
                },
            ),
            event(
                3 * 3600 - 245,
                What::AlertCleared {
                    rule: Rule::Down,
                    how: AlertClosing::Recovered,
                    raised_at: at(3 * 3600 - 15),
                },
            ),
            event(
                3600,
                What::Edited {
                    origin: Origin::Cli,
                    fields: vec!["quota_bytes".into()],
                    updated: None,
                },
            ),
            event(
                1200,
                What::Inventory {
                    state: crate::stats::InventoryState::Complete,
                    objects: Some(1_520),
                    bytes: Some(700 * MIB),
                    elapsed_ms: Some(2_400.0),
                    error: None,
                },
            ),
        ];
        let newer = serde_json::json!({"at": at(60), "kind": "snapshot_taken", "name": "nightly"});
        events.push(TimelineEvent::decode_line(&newer.to_string()).unwrap());
        events
    }

    fn app_with_timeline(width: u16, height: u16) -> App {
        let mut app = app(width, height, false);
        app.update(Msg::Events {
            id: "garage-media".into(),
            events: garage_timeline(),
        });
        app
    }

    #[test]
    fn the_timeline_shows_the_newest_events_below_the_text() {
        for (w, h) in SIZES {
            let app = app_with_timeline(w, h);
            insta::assert_snapshot!(
                format!("list_detail_timeline_{w}x{h}"),
                screen(&app, false).backend()
            );
            let mut app = app_with_timeline(w, h);
            key(&mut app, KeyCode::Enter);
            insta::assert_snapshot!(
                format!("full_detail_timeline_{w}x{h}"),
                screen(&app, false).backend()
            );
        }
    }

    #[test]
    fn the_focused_detail_scrolls_its_timeline_back_and_new_events_arrive_live() {
        use crate::monitor::timeline::{TimelineEvent, What};
        let mut app = app_with_timeline(120, 40);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.focus, Pane::Detail);
        let text = lines(&screen(&app, false)).join("\n");
        assert!(text.contains("8 events"), "{text}");
        assert!(
            text.contains("down 09:00 → 09:04, 4m, connection refused"),
            "{text}"
        );
        assert!(
            text.contains("snapshot_taken {\"name\":\"nightly\"}"),
            "{text}"
        );
        key(&mut app, KeyCode::Up);
        key(&mut app, KeyCode::Up);
        let text = lines(&screen(&app, false)).join("\n");
        assert!(text.contains("2 newer below"), "{text}");
        assert!(!text.contains("nightly"), "scrolled back past it: {text}");
        key(&mut app, KeyCode::Char('G'));
        app.update(Msg::TimelineEvent {
            id: "garage-media".into(),
            event: Box::new(TimelineEvent {
                at: ts(0),
                what: What::AlertAcknowledged {
                    rule: crate::monitor::alerts::Rule::Down,
                },
                raw: None,
            }),
        });
        let text = lines(&screen(&app, false)).join("\n");
        assert!(
            text.contains("9 events") && text.contains("alert down acknowledged"),
            "{text}"
        );
        let ascii = lines(&screen(&app, true));
        assert!(ascii.iter().all(|l| l.is_ascii()), "{ascii:#?}");
    }

    #[test]
    fn a_backend_switched_off_says_when_it_was_last_checked() {
        let mut row = Row {
            stats: stats("archive", "local"),
            ..Row::default()
        };
        row.stats.health.checked_at = Some(ts(-600));
        crate::poll::mark_unpolled(&mut row.stats, Health::disabled());
        assert_eq!(
            checked_label(NOW, &row, false),
            "not polled; last checked 10m ago"
        );
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: vec![row],
            problems: Vec::new(),
        });
        app.update(Msg::Resize {
            width: 200,
            height: 50,
        });
        let text = lines(&screen(&app, false)).join("\n");
        assert!(text.contains("not polled; last checked 10m ago"), "{text}");
        let list_row = text
            .lines()
            .find(|l| l.contains("- disabled archive"))
            .unwrap_or_default();
        assert!(
            list_row.contains(" 10m ") && !list_row.contains("never"),
            "CHECKED: {list_row}"
        );
    }

    /// A Garage cluster of three nodes, one of them down for 42 s, one with blocks failing to
    /// resync (counted by the inventory 20 minutes ago).
    fn garage_cluster() -> Row {
        let mut stats = stats("garage-eu", "s3");
        stats.health.status = HealthStatus::Degraded;
        stats.health.message = Some(
            "Garage node garage-c is down (last seen 42s ago); node garage-b has 2 blocks \
             failing to resync"
                .into(),
        );
        stats.storage = crate::stats::Storage::new(None, Some(780 * MIB), None);
        let gib = 1u64 << 30;
        let node = |name: &str, id: &str| NodeView {
            up: true,
            free_bytes: Some(56 * gib),
            total_bytes: Some(252 * gib),
            metadata_free_bytes: Some(56 * gib),
            metadata_total_bytes: Some(252 * gib),
            resync_queue: Some(0),
            resync_errors: Some(0),
            ..NodeView::named(Some(name), Some(id))
        };
        stats.nodes = vec![
            node("garage-a", "6aa10578467b2b218267b1e8ec63007f"),
            NodeView {
                last_seen_secs: Some(3),
                resync_queue: Some(14),
                resync_errors: Some(2),
                as_of: Some(ts(-1200)),
                ..node("garage-b", "a1b2c3d4e5f60718293a4b5c6d7e8f90")
            },
            NodeView {
                up: false,
                error: Some("not connected".into()),
                last_seen_secs: Some(42),
                resync_errors: None,
                ..node("garage-c", "d9537c83a25b632efeaee7b8ef2706b1")
            },
        ];
        Row {
            stats,
            ..Row::default()
        }
    }

    fn cluster_app(width: u16, height: u16) -> App {
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: vec![garage_cluster()],
            problems: Vec::new(),
        });
        app.messages.clear();
        app.update(Msg::Resize { width, height });
        app.update(Msg::History {
            id: "garage-eu".into(),
            range: ChartRange::Hour1,
            history: KeptHistory::default(),
        });
        key(&mut app, KeyCode::Enter);
        app
    }

    #[test]
    fn a_clustered_backend_lists_its_nodes_a_down_one_in_the_error_colour() {
        for (w, h) in [(100, 30), (60, 20)] {
            let app = cluster_app(w, h);
            let terminal = screen(&app, false);
            let text = lines(&terminal).join("\n");
            assert!(text.contains("Nodes   2 of 3 up"), "{w}x{h}:\n{text}");
            // The down node first, then the others in the cluster's order.
            let at = |name: &str| text.find(&format!("{name} (")).unwrap_or(usize::MAX);
            assert!(at("garage-c") < at("garage-a") && at("garage-a") < at("garage-b"));
            assert!(text.contains("down: not connected"), "{text}");
            insta::assert_snapshot!(format!("full_detail_nodes_{w}x{h}"), terminal.backend());

            // In colour: every cell of the down node's line is in the error colour.
            let theme = Theme::new(ColorDepth::Basic16, false);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            terminal
                .draw(|frame| crate::tui::view::draw(frame, &app, &theme))
                .unwrap();
            let buffer = terminal.backend().buffer();
            let y = (0..h)
                .find(|&y| {
                    let row: String = (0..w).map(|x| buffer[(x, y)].symbol()).collect();
                    row.contains("garage-c (")
                })
                .unwrap_or_else(|| panic!("no line of garage-c at {w}x{h}"));
            let row: String = (0..w).map(|x| buffer[(x, y)].symbol()).collect();
            let start = row.find("garage-c").unwrap();
            let start = u16::try_from(row[..start].chars().count()).unwrap();
            let inked: Vec<u16> = (start..w - 1)
                .filter(|&x| !buffer[(x, y)].symbol().trim().is_empty())
                .filter(|&x| !matches!(buffer[(x, y)].symbol(), "·" | "│"))
                .collect();
            assert!(inked.len() > 10, "{row}");
            for x in inked {
                assert_eq!(
                    buffer[(x, y)].fg,
                    theme.error().fg.unwrap(),
                    "{w}x{h}: cell {x} of {row:?} ({:?})",
                    buffer[(x, y)].symbol()
                );
            }
            // An up node's line is not.
            let up = (0..h)
                .find(|&y| {
                    let row: String = (0..w).map(|x| buffer[(x, y)].symbol()).collect();
                    row.contains("garage-a (")
                })
                .unwrap();
            let row: String = (0..w).map(|x| buffer[(x, up)].symbol()).collect();
            let x = u16::try_from(row[..row.find("garage-a").unwrap()].chars().count()).unwrap();
            assert_ne!(buffer[(x, up)].fg, theme.error().fg.unwrap());
        }
    }
}
