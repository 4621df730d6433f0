//! The console's screens rendered into ratatui's TestBackend: snapshots at 120x40, 80x24 and
//! 40x12, and style checks where colour carries meaning (health is never colour alone).

// Test and bench code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ipfs_kit_tui::monitor::history::Point;
use ipfs_kit_tui::stats::forecast::{Forecast, ForecastReport, LimitSource, Outlook};
use ipfs_kit_tui::stats::{
    BackendStats, Files, Health, HealthStatus, Performance, Quota, QuotaSource, Source, Storage,
};
use ipfs_kit_tui::tui::message::Msg;
use ipfs_kit_tui::tui::model::Row;
use ipfs_kit_tui::tui::state::App;
use ipfs_kit_tui::tui::theme::{ColorDepth, Theme};
use ipfs_kit_tui::tui::view;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use serde_json::json;

/// 2026-11-24T12:00:00Z
const NOW: i64 = 1_795_003_200;

fn ts(offset: i64) -> String {
    chrono::DateTime::from_timestamp(NOW + offset, 0)
        .unwrap()
        .to_rfc3339()
}

fn stats(id: &str, kind: &str, status: HealthStatus) -> BackendStats {
    BackendStats {
        id: id.into(),
        kind: kind.into(),
        enabled: status != HealthStatus::Disabled,
        health: Health {
            status,
            message: None,
            checked_at: Some(ts(-12)),
            failure: None,
            next_check_at: None,
        },
        source: Source::Live,
        updated_at: Some(ts(-12)),
        ..BackendStats::default()
    }
}

fn history(n: u64) -> Vec<Point> {
    (0..n)
        .map(|i| Point {
            at: (NOW as u64) - (n - i) * 5,
            response_ms: if i % 17 == 5 {
                None
            } else {
                Some(5.0 + (i % 7) as f32 * 3.0)
            },
            used_bytes: Some(700_000_000 + i * 1_000_000),
            ..Point::default()
        })
        .collect()
}

fn rows() -> Vec<Row> {
    let mut garage = stats("garage-media", "s3", HealthStatus::Healthy);
    garage.storage = Storage::new(None, Some(734_003_200), None);
    garage.quota = Quota {
        objects_limit: Some(10_000),
        objects_used: Some(1_520),
        ..Quota::bytes(Some(1_073_741_824), Some(734_003_200), QuotaSource::Garage)
    };
    garage.files = Files {
        count: Some(1_520),
        bytes: Some(734_003_200),
        largest: Some(73_400_320),
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
    // Filling its quota: 1 MB every 5 s (as its history), the 340 MB left in about 28 min.
    garage.forecast = Some(ForecastReport::new(
        Outlook::Filling(Forecast {
            full_at: NOW as u64 + 1_700,
            rate_bytes_per_sec: 200_000.0,
            window_secs: 595,
            limit_source: LimitSource::Quota,
        }),
        1_073_741_824,
        LimitSource::Quota,
    ));
    garage.alerts.push(ipfs_kit_tui::stats::AlertBrief {
        rule: "filling".into(),
        message: "filling: full in ~29m at +11.4 MiB/min against quota 1 GiB (alert under 24h)"
            .into(),
        since: ts(-60),
    });
    // Not filling its GC threshold: steady.
    let kubo_forecast = ForecastReport::new(
        Outlook::NotFilling {
            rate_bytes_per_sec: 0.0,
        },
        10_000_000_000,
        LimitSource::GcThreshold,
    );
    garage.vital = json!({"version": "2.5.0", "cluster_status": "healthy"})
        .as_object()
        .unwrap()
        .clone();

    let mut kubo = stats("kubo-main", "ipfs", HealthStatus::Down);
    kubo.stale = true;
    kubo.source = Source::Metadata;
    kubo.health.message = Some("connection refused by 127.0.0.1:5001".into());
    kubo.storage = Storage::new(Some(10_000_000_000), Some(9_400_000_000), Some(600_000_000));
    kubo.quota = Quota::bytes(
        Some(10_000_000_000),
        Some(9_400_000_000),
        QuotaSource::GcThreshold,
    );
    kubo.forecast = Some(kubo_forecast);
    // Meant to run near its GC threshold: it alerts later than the others.
    kubo.thresholds.insert("quota_alert_percent".into(), 98);
    kubo.vital = json!({"version": "0.32.1", "peers": 0})
        .as_object()
        .unwrap()
        .clone();

    let mut cluster = stats("cluster", "ipfs_cluster", HealthStatus::Degraded);
    cluster.health.message = Some("1 of 3 peers down: 12D3KooWabc".into());
    cluster.performance = Performance {
        avg_response_time: Some(48.0),
        ..Performance::default()
    };

    let lotus = BackendStats {
        health: Health::default(),
        stale: true,
        source: Source::Metadata,
        ..stats("lotus", "filecoin", HealthStatus::Unknown)
    };
    let off = stats("archive", "local", HealthStatus::Disabled);
    let mut local = stats("local", "local", HealthStatus::Healthy);
    local.storage = Storage::filesystem(
        Some(270_553_174_016),
        Some(14_075_297_792),
        Some(83_497_451_520),
    );
    local.files = Files {
        count: Some(100_000),
        bytes: Some(5_000_000_000),
        largest: Some(1_000_000_000),
        partial: true,
        as_of: None,
    };
    local.performance = Performance {
        avg_response_time: Some(3.0),
        ..Performance::default()
    };

    [garage, kubo, cluster, lotus, off, local]
        .into_iter()
        .map(|stats| Row {
            host: None,
            history: if stats.id == "garage-media" {
                history(120)
            } else {
                Vec::new()
            },
            stats,
        })
        .collect()
}

fn app(read_only: bool) -> App {
    let mut app = App::new(NOW, read_only, false);
    app.update(Msg::Snapshot {
        rows: rows(),
        problems: Vec::new(),
    });
    app.messages.clear();
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn render(app: &mut App, width: u16, height: u16, theme: Theme) -> Terminal<TestBackend> {
    // Message times are shown in local time: pin it.
    std::env::set_var("TZ", "UTC");
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, app, &theme))
        .unwrap();
    terminal
}

fn plain() -> Theme {
    Theme::new(ColorDepth::None, false)
}

const SIZES: [(u16, u16); 4] = [(200, 50), (120, 40), (80, 24), (40, 12)];

fn snapshot_all(name: &str, setup: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let mut app = app(false);
        setup(&mut app);
        let terminal = render(&mut app, w, h, plain());
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn list_and_detail() {
    snapshot_all("list", |app| {
        key(app, KeyCode::Char('j'));
        key(app, KeyCode::Char('j'));
    });
}

#[test]
fn full_screen_detail() {
    snapshot_all("detail", |app| {
        key(app, KeyCode::Char('j'));
        key(app, KeyCode::Char('j')); // garage-media: every figure known
        key(app, KeyCode::Enter);
    });
}

#[test]
fn down_backend_detail_shows_the_reason_and_stale_figures() {
    snapshot_all("detail_down", |app| {
        key(app, KeyCode::Char('s'));
        key(app, KeyCode::Char('s')); // sort by health: down first
        key(app, KeyCode::Char('g')); // the selection stays on its backend: go to the top
    });
}

#[test]
fn empty_home() {
    for (w, h) in SIZES {
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: Vec::new(),
            problems: Vec::new(),
        });
        let terminal = render(&mut app, w, h, plain());
        insta::assert_snapshot!(format!("empty_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn confirmation_names_the_backend() {
    snapshot_all("confirm", |app| key(app, KeyCode::Char('d')));
}

#[test]
fn help_comes_from_the_keymap() {
    snapshot_all("help", |app| key(app, KeyCode::Char('?')));
}

#[test]
fn read_only_refusal_is_said() {
    for (w, h) in SIZES {
        let mut app = app(true);
        key(&mut app, KeyCode::Char('a'));
        let terminal = render(&mut app, w, h, plain());
        insta::assert_snapshot!(format!("read_only_{w}x{h}"), terminal.backend());
        let text = format!("{}", terminal.backend());
        assert!(text.contains("read-only"), "{text}");
    }
}

#[test]
fn filter_and_sort_indicators() {
    snapshot_all("filtered", |app| {
        key(app, KeyCode::Char('/'));
        for c in "ip".chars() {
            key(app, KeyCode::Char(c));
        }
    });
}

#[test]
fn ascii_mode_draws_no_box_or_block_glyphs() {
    let mut app = app(false);
    let terminal = render(&mut app, 120, 40, Theme::new(ColorDepth::None, true));
    let text = format!("{}", terminal.backend());
    for glyph in ['╭', '│', '─', '█', '░', '▁', '✓', '✗', '▲'] {
        assert!(!text.contains(glyph), "{glyph} in ASCII mode:\n{text}");
    }
    insta::assert_snapshot!("ascii_120x40", terminal.backend());
    // Every cell, hints and separators and the help included.
    key(&mut app, KeyCode::Char('?'));
    for (w, h) in [(120, 40), (80, 24)] {
        let terminal = render(&mut app, w, h, Theme::new(ColorDepth::None, true));
        let buffer = terminal.backend().buffer();
        let foreign: Vec<&str> = buffer
            .content
            .iter()
            .map(|c| c.symbol())
            .filter(|s| !s.is_ascii())
            .collect();
        assert!(foreign.is_empty(), "{foreign:?} at {w}x{h}");
    }
}

/// Finds the first cell of `needle` on screen and returns its foreground colour.
fn fg_of(terminal: &Terminal<TestBackend>, needle: &str) -> Option<Color> {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(pos) = line.find(needle) {
            let x = line[..pos].chars().count() as u16;
            return Some(buffer[(x, y)].fg);
        }
    }
    None
}

#[test]
fn health_has_a_word_and_a_colour_and_no_colour_means_none() {
    let mut app = app(false);
    let terminal = render(&mut app, 120, 40, Theme::new(ColorDepth::Basic16, false));
    assert_eq!(fg_of(&terminal, "✓ healthy"), Some(Color::Green));
    assert_eq!(fg_of(&terminal, "✗ down"), Some(Color::Red));
    assert_eq!(fg_of(&terminal, "! degraded"), Some(Color::Yellow));
    assert_eq!(fg_of(&terminal, "? unknown"), Some(Color::DarkGray));
    let terminal = render(&mut app, 120, 40, Theme::new(ColorDepth::TrueColor, false));
    assert!(matches!(fg_of(&terminal, "✗ down"), Some(Color::Rgb(..))));
    let terminal = render(&mut app, 120, 40, plain());
    for word in [
        "✓ healthy",
        "✗ down",
        "! degraded",
        "? unknown",
        "- disabled",
    ] {
        assert_eq!(
            fg_of(&terminal, word),
            Some(Color::Reset),
            "{word} without colour"
        );
    }
}

#[test]
fn a_filesystem_says_used_and_free_of_what_is_usable_and_the_disk_apart() {
    let mut app = app(false);
    for _ in 0..4 {
        key(&mut app, KeyCode::Char('j')); // local: a filesystem with blocks kept for root
    }
    let terminal = render(&mut app, 120, 40, plain());
    let text = format!("{}", terminal.backend());
    assert!(text.contains("local (local)"), "{text}");
    for phrase in [
        "13.11 GiB used",
        "77.76 GiB free of 90.87 GiB usable",
        "(disk 251.97 GiB)",
    ] {
        assert!(text.contains(phrase), "{phrase}:\n{text}");
    }
    insta::assert_snapshot!("detail_filesystem_120x40", terminal.backend());
}

#[test]
fn unknown_figures_are_shown_as_unknown_not_zero() {
    let mut app = app(false);
    // Select lotus: never polled.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    for c in "lotus".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let terminal = render(&mut app, 120, 40, plain());
    let text = format!("{}", terminal.backend());
    assert!(text.contains("Storage unknown"), "{text}");
    assert!(text.contains("not checked yet"), "{text}");
    assert!(!text.contains("0.0%"), "{text}");
}

#[test]
fn hostile_strings_cannot_reach_the_terminal() {
    let mut app = App::new(NOW, false, false);
    let mut evil = stats("evil", "ipfs", HealthStatus::Down);
    evil.health.message = Some("boom\u{1b}[2J\u{1b}]0;pwned\u{7}".into());
    evil.vital = json!({"agent\u{1b}[31m": "kubo\u{1b}[H\u{9b}2J"})
        .as_object()
        .unwrap()
        .clone();
    app.update(Msg::Snapshot {
        rows: vec![Row {
            stats: evil,
            history: Vec::new(),
            host: None,
        }],
        problems: Vec::new(),
    });
    app.push_message(ipfs_kit_tui::tui::model::Level::Error, "bad\u{1b}c news");
    let terminal = render(&mut app, 120, 40, plain());
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character in a cell"
        );
    }
    let text = format!("{}", terminal.backend());
    assert!(text.contains("boom"), "{text}");
}

#[test]
fn help_scrolls_to_its_last_line_on_a_small_terminal() {
    let mut app = app(false);
    key(&mut app, KeyCode::Char('?'));
    let text = format!("{}", render(&mut app, 80, 24, plain()).backend());
    assert!(
        !text.contains("Health:"),
        "the legend does not fit at first: {text}"
    );
    assert!(text.contains("↓ more"), "{text}");
    for _ in 0..3 {
        key(&mut app, KeyCode::PageDown);
    }
    let terminal = render(&mut app, 80, 24, plain());
    insta::assert_snapshot!("help_scrolled_80x24", terminal.backend());
    let text = format!("{}", terminal.backend());
    assert!(text.contains("quit (Ctrl-C too)"), "{text}");
    assert!(text.contains("Health:"), "{text}");
    // Up comes back from the end at once: the scroll is clamped to what there is.
    key(&mut app, KeyCode::Home);
    let text = format!("{}", render(&mut app, 80, 24, plain()).backend());
    assert!(text.contains("Help (1/"), "{text}");
}

/// The first cell of the gauge bar on the line that starts with `label` in the detail pane.
fn gauge_fg(terminal: &Terminal<TestBackend>, label: &str) -> Option<Color> {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(pos) = line.find(&format!("│{label}")) {
            let start = line[..pos].chars().count() as u16 + 1 + 8;
            return Some(buffer[(start, y)].fg);
        }
    }
    None
}

#[test]
fn old_figures_are_dimmed_and_a_down_backend_never_draws_a_healthy_colour() {
    let theme = || Theme::new(ColorDepth::Basic16, false);
    // The healthy garage bucket: its quota gauge is coloured by how full it is.
    let mut live = app(false);
    key(&mut live, KeyCode::Char('j'));
    key(&mut live, KeyCode::Char('j'));
    let terminal = render(&mut live, 120, 40, theme());
    let text = format!("{}", terminal.backend());
    assert!(text.contains("garage-media (s3)"), "{text}");
    assert_eq!(gauge_fg(&terminal, "Quota"), Some(Color::Green), "{text}");
    // The down Kubo node (figures last known): dimmed, and it says how old they are.
    let mut down = app(false);
    key(&mut down, KeyCode::Char('s'));
    key(&mut down, KeyCode::Char('s'));
    key(&mut down, KeyCode::Char('g'));
    let terminal = render(&mut down, 120, 40, theme());
    let text = format!("{}", terminal.backend());
    assert!(text.contains("kubo-main (ipfs)"), "{text}");
    assert!(text.contains("* last known, 12s ago"), "{text}");
    for label in ["Storage", "GC at"] {
        assert_eq!(
            gauge_fg(&terminal, label),
            Some(Color::DarkGray),
            "{label}: {text}"
        );
    }
    assert_eq!(fg_of(&terminal, "version 0.32.1"), Some(Color::DarkGray));
    assert!(!text.contains("Used bytes (now"), "{text}");
}

/// kubo-main down and its quota in alert (the list marks it, its QUOTA cell is in the warning
/// colour), the title counts the alerts, and the alerts view lists them.
fn with_alerts(app: &mut App) {
    use ipfs_kit_tui::api::AlertGroup;
    use ipfs_kit_tui::monitor::alerts::{Alert, Closed, Rule};
    use ipfs_kit_tui::stats::AlertBrief;
    let alert = |backend: &str, rule: Rule, message: &str| Alert {
        backend: backend.into(),
        rule,
        message: message.into(),
        raised_at: ts(-600),
        cleared_at: None,
        closed: None,
        acknowledged_at: None,
        silenced_until: None,
    };
    let down = alert(
        "kubo-main",
        Rule::Down,
        "down for 3 polls: connection refused",
    );
    let quota = alert("kubo-main", Rule::Quota, "quota 94.0% full (alert at 90%)");
    let mut kubo = rows().remove(1);
    kubo.stats.alerts = [&down, &quota]
        .iter()
        .map(|a| AlertBrief {
            rule: a.rule.as_str().into(),
            message: a.message.clone(),
            since: a.raised_at.clone(),
        })
        .collect();
    app.update(Msg::Stats {
        stats: Box::new(kubo.stats),
        point: None,
    });
    let cleared = Alert {
        cleared_at: Some(ts(-120)),
        closed: Some(Closed::Removed),
        ..alert(
            "scratch",
            Rule::ErrorRate,
            "40% of the last 10 polls failed",
        )
    };
    app.update(Msg::Alerts {
        groups: vec![
            AlertGroup {
                rule: Rule::Down,
                endpoint: Some("127.0.0.1:5001".into()),
                alerts: vec![down],
            },
            AlertGroup {
                rule: Rule::Quota,
                endpoint: Some("127.0.0.1:5001".into()),
                alerts: vec![quota],
            },
        ],
        alerts: vec![cleared],
        endpoints: Default::default(),
    });
}

#[test]
fn alerts_are_marked_in_the_list_and_listed_in_their_view() {
    snapshot_all("alerts_list", with_alerts);
    snapshot_all("alerts_view", |app| {
        with_alerts(app);
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('A'),
            KeyModifiers::SHIFT,
        )));
    });
    let mut app = app(false);
    with_alerts(&mut app);
    let terminal = render(&mut app, 120, 40, Theme::new(ColorDepth::Basic16, false));
    // kubo-main's row: USED and QUOTA both say 94.0%; only the quota is in alert.
    let buffer = terminal.backend().buffer();
    let line_at = |y: u16| -> String {
        (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect()
    };
    let y = (0..buffer.area.height)
        .find(|&y| line_at(y).contains("◆ kubo-main"))
        .unwrap();
    let line = line_at(y);
    let x = |pos: usize| line[..pos].chars().count() as u16;
    let (used, quota) = (
        x(line.find("94.0%").unwrap()),
        x(line.rfind("94.0%").unwrap()),
    );
    assert!(used < quota, "{line}");
    // kubo-main is down: its figures are last known, dimmed; only the quota's alert colours.
    assert_eq!(
        buffer[(used, y)].fg,
        Color::DarkGray,
        "used: no alert, dimmed"
    );
    assert_eq!(buffer[(quota, y)].fg, Color::Yellow, "quota in alert");
    assert_eq!(fg_of(&terminal, "◆ kubo-main"), Some(Color::Yellow));

    // Under --ascii the mark is a glyph of its own too: `!` is degraded.
    let mut ascii = self::app(false);
    with_alerts(&mut ascii);
    let terminal = render(&mut ascii, 120, 40, Theme::new(ColorDepth::None, true));
    let text = format!("{}", terminal.backend());
    assert!(text.contains("@ kubo-main"), "{text}");
    assert!(text.contains("! degraded"), "{text}");
    assert!(!text.contains("! kubo-main"), "{text}");
    insta::assert_snapshot!("alerts_list_ascii_120x40", terminal.backend());
}

/// The fleet view: two hosts answering (one backend id on both) and one whose scrape fails.
fn fleet_app() -> App {
    use ipfs_kit_tui::fleet::HostState;
    let mut app = App::for_fleet(NOW, "http://prom.example:9090", false);
    let host = |instance: &str, up: bool| HostState {
        instance: instance.into(),
        job: "ipfs_kit".into(),
        up,
        reason: (!up).then(|| "Get \"http://10.0.0.3:9464/metrics\": connection refused".into()),
        last_scrape: Some(ts(-3)),
    };
    let row = |host: &str, id: &str, kind: &str, status: HealthStatus, used: Option<u64>| {
        let mut stats = stats(&format!("{host}/{id}"), kind, status);
        stats.storage =
            Storage::filesystem(Some(1_000_000_000), used, used.map(|u| 1_000_000_000 - u));
        stats.performance.avg_response_time = Some(3.5);
        Row {
            stats,
            history: history(40),
            host: Some(host.into()),
        }
    };
    let mut stale = row(
        "10.0.0.3:9464",
        "media",
        "local",
        HealthStatus::Unknown,
        Some(900_000_000),
    );
    stale.stats.stale = true;
    stale.stats.source = Source::Metadata;
    stale.stats.health.message =
        Some("host unreachable: Get \"http://10.0.0.3:9464/metrics\": connection refused".into());
    app.update(Msg::FleetRound {
        rows: vec![
            row(
                "10.0.0.1:9464",
                "local",
                "local",
                HealthStatus::Healthy,
                Some(250_000_000),
            ),
            row("10.0.0.1:9464", "garage", "s3", HealthStatus::Down, None),
            row(
                "10.0.0.2:9464",
                "local",
                "local",
                HealthStatus::Healthy,
                Some(600_000_000),
            ),
            stale,
        ],
        hosts: vec![
            host("10.0.0.1:9464", true),
            host("10.0.0.2:9464", true),
            host("10.0.0.3:9464", false),
        ],
        at: NOW,
    });
    app
}

#[test]
fn fleet_view_lists_hosts_with_totals_and_the_unreachable_one() {
    for (w, h) in SIZES {
        let mut app = fleet_app();
        let terminal = render(&mut app, w, h, plain());
        insta::assert_snapshot!(format!("fleet_{w}x{h}"), terminal.backend());
    }
    let mut app = fleet_app();
    let terminal = render(&mut app, 200, 50, plain());
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("fleet http://prom.example:9090 read-only"),
        "{screen}"
    );
    assert!(screen.contains("3 hosts (1 unreachable)"), "{screen}");
    assert!(screen.contains("HOST"), "{screen}");
    assert!(
        screen.contains("host 10.0.0.3:9464 unreachable"),
        "{screen}"
    );
    // Changes are refused, and say why.
    key(&mut app, KeyCode::Char('e'));
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .1
        .contains("changes are made on each host"));
    key(&mut app, KeyCode::Char('t'));
    assert!(app.flash.as_ref().unwrap().1.contains("runs on each host"));
}

#[test]
fn fleet_view_sorts_and_filters_by_host() {
    let mut app = fleet_app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    for c in "10.0.0.1".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let ids: Vec<String> = app.backends.visible().map(|r| r.stats.id.clone()).collect();
    assert_eq!(ids, ["10.0.0.1:9464/garage", "10.0.0.1:9464/local"]);
    key(&mut app, KeyCode::Esc);
    let _ = app
        .backends
        .set_sort(ipfs_kit_tui::tui::model::SortColumn::Host, true);
    let hosts: Vec<String> = app
        .backends
        .visible()
        .map(|r| r.host.clone().unwrap())
        .collect();
    assert_eq!(hosts.first().map(String::as_str), Some("10.0.0.3:9464"));
}

#[test]
fn fleet_view_says_when_prometheus_does_not_answer() {
    let mut app = App::for_fleet(NOW, "http://127.0.0.1:1", false);
    app.update(Msg::FleetUnreachable {
        reason: "Prometheus at http://127.0.0.1:1 did not answer: connection refused".into(),
        at: NOW,
    });
    let terminal = render(&mut app, 120, 40, plain());
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("Prometheus at http://127.0.0.1:1 did not answer: connection refused"),
        "{screen}"
    );
    insta::assert_snapshot!("fleet_unreachable_120x40", terminal.backend());
}

/// Finding 4 of the edges trial: an S3 soft quota showed an inventory's hour-old figure as if
/// live, and a directory's file count had no age. Such figures are dimmed and carry their age,
/// in the list and in the detail; one read by the latest poll is not.
fn with_old_counts(app: &mut App) {
    let mut soft = stats("s3-soft", "s3", HealthStatus::Healthy);
    soft.health.next_check_at = Some(ts(3));
    soft.quota = Quota {
        as_of: Some(ts(-3600)),
        ..Quota::bytes(Some(6 * 1024 * 1024), Some(5_000_000), QuotaSource::Soft)
    };
    soft.inventory = Some(ipfs_kit_tui::stats::InventorySummary {
        as_of: Some(ts(-3600)),
        state: ipfs_kit_tui::stats::InventoryState::Complete,
        last_run: ts(-3600),
        requests: 1,
        message: None,
    });
    let mut dir = stats("photos", "local", HealthStatus::Healthy);
    dir.health.next_check_at = Some(ts(3));
    dir.storage = Storage::filesystem(Some(100 << 30), Some(21 << 30), Some(70 << 30));
    dir.files = Files {
        count: Some(1),
        bytes: Some(10),
        largest: Some(10),
        partial: false,
        as_of: Some(ts(-1800)),
    };
    for stats in [soft, dir] {
        app.update(Msg::Stats {
            stats: Box::new(stats),
            point: None,
        });
    }
    app.list_columns = ipfs_kit_tui::tui::model::ListColumn::ALL.to_vec();
}

#[test]
fn a_figure_older_than_one_poll_carries_its_age_and_is_dimmed() {
    let mut app = app(false);
    with_old_counts(&mut app);
    // Select s3-soft (ids sorted: archive cluster garage-media kubo-main local lotus photos s3-soft).
    key(&mut app, KeyCode::Char('G'));
    let terminal = render(&mut app, 200, 50, Theme::new(ColorDepth::Basic16, false));
    let text = format!("{}", terminal.backend());
    assert!(text.contains("s3-soft (s3)"), "{text}");
    // The list: the quota cell says its age and is dim; the live used figure of `local` is not.
    assert!(text.contains("80%·1h"), "{text}");
    assert_eq!(fg_of(&terminal, "80%·1h"), Some(Color::DarkGray), "{text}");
    // The directory's count: its age in the list, dimmed.
    assert!(text.contains("1·30m"), "{text}");
    assert_eq!(fg_of(&terminal, "1·30m"), Some(Color::DarkGray), "{text}");
    // The detail: the quota gauge dim, saying it was counted an hour ago.
    assert!(text.contains("counted 1h ago"), "{text}");
    assert_eq!(
        gauge_fg(&terminal, "Quota"),
        Some(Color::DarkGray),
        "{text}"
    );
    assert!(
        !text.contains("next check in"),
        "a healthy backend's polls are not counted down"
    );
}

#[test]
fn stale_counts_and_a_full_backend() {
    snapshot_all("edges", |app| {
        with_old_counts(app);
        let mut full = stats("scratch", "local", HealthStatus::Full);
        full.storage = Storage::filesystem(Some(64 << 20), Some(64 << 20), Some(0));
        full.health.message = Some("full: 0 B free of 64 MiB usable".into());
        full.alerts = vec![ipfs_kit_tui::stats::AlertBrief {
            rule: "full".into(),
            message: "full: 0 B free of 64 MiB usable".into(),
            since: ts(-60),
        }];
        app.update(Msg::Stats {
            stats: Box::new(full),
            point: None,
        });
        key(app, KeyCode::Char('G'));
        key(app, KeyCode::Char('k'));
    });
}

#[test]
fn full_is_an_error_state_in_the_list_and_the_summary() {
    let mut app = app(false);
    let mut full = stats("scratch", "local", HealthStatus::Full);
    full.storage = Storage::filesystem(Some(64 << 20), Some(64 << 20), Some(0));
    full.health.message = Some("full: 0 B free of 64 MiB usable".into());
    app.update(Msg::Stats {
        stats: Box::new(full),
        point: None,
    });
    let terminal = render(&mut app, 120, 40, Theme::new(ColorDepth::Basic16, false));
    let text = format!("{}", terminal.backend());
    assert!(text.contains("■ full"), "{text}");
    assert_eq!(fg_of(&terminal, "■ full"), Some(Color::Red), "{text}");
    // Counted on the summary line as its own state.
    assert!(text.lines().next().unwrap().contains("■1"), "{text}");
    let ascii = render(&mut app, 120, 40, Theme::new(ColorDepth::None, true));
    assert!(format!("{}", ascii.backend()).contains("# full"));
}

/// Finding 3: with the home on a full filesystem the screen never said it could not save (only
/// the log did). It is said on the summary line while it lasts, and in the messages when it
/// starts and ends.
#[test]
fn a_home_that_cannot_be_written_is_said_on_the_summary_line_until_it_can() {
    use ipfs_kit_tui::monitor::writer::HomeTrouble;
    let mut app = app(false);
    app.update(Msg::HomeTrouble(HomeTrouble {
        reason: "/root/.ipfs_kit/metadata/.alerts.json.tmp: No space left on device (os error 28)"
            .into(),
        held: 4,
    }));
    let terminal = render(&mut app, 200, 50, Theme::new(ColorDepth::Basic16, false));
    let text = format!("{}", terminal.backend());
    let summary = text.lines().next().unwrap();
    assert!(
        summary.contains("✗ cannot save to the home: /root/.ipfs_kit/metadata/.alerts.json.tmp: No space left on device"),
        "{summary}"
    );
    assert_eq!(fg_of(&terminal, "✗ cannot save"), Some(Color::Red));
    assert!(
        text.contains("cannot save to the home") && text.contains("4 writes held in memory"),
        "the messages say it too: {text}"
    );
    // Said once: the same trouble again adds no message.
    let said = app.messages.len();
    app.update(Msg::HomeTrouble(HomeTrouble {
        reason: "/root/.ipfs_kit/metadata/.alerts.json.tmp: No space left on device (os error 28)"
            .into(),
        held: 9,
    }));
    assert_eq!(app.messages.len(), said);
    app.update(Msg::HomeWritable);
    let terminal = render(&mut app, 200, 50, plain());
    let text = format!("{}", terminal.backend());
    assert!(
        !text.lines().next().unwrap().contains("cannot save"),
        "{text}"
    );
    assert!(text.contains("the home can be written again"), "{text}");
}

/// Two ids that share their first ten characters, and a long one seen from afar.
fn lookalike_app() -> App {
    let mut app = App::new(NOW, false, false);
    let row = |id: &str| {
        let mut stats = stats(id, "s3", HealthStatus::Healthy);
        stats.quota = Quota::bytes(Some(1_000), Some(400), QuotaSource::Garage);
        stats.performance.avg_response_time = Some(9.0);
        Row {
            stats,
            history: Vec::new(),
            host: None,
        }
    };
    let mut old = row("s3-archive-old");
    old.stats.stale = true;
    app.update(Msg::Snapshot {
        rows: vec![
            row("s3-archive"),
            old,
            row("a-backend-with-a-very-long-name-indeed"),
        ],
        problems: Vec::new(),
    });
    app.messages.clear();
    app
}

#[test]
fn an_id_cut_to_its_column_ends_with_an_ellipsis() {
    for (ascii, name, ellipsis) in [
        (false, "lookalikes_40x12", "…"),
        (true, "lookalikes_ascii_40x12", "..."),
    ] {
        let mut app = lookalike_app();
        let terminal = render(&mut app, 40, 12, Theme::new(ColorDepth::None, ascii));
        let text = format!("{}", terminal.backend());
        // The rows by id: a-backend-…, s3-archive, s3-archive-old.
        let rows: Vec<&str> = text.lines().filter(|l| l.contains(" healthy ")).collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(
            rows[0].contains("a-backend") && rows[0].contains(ellipsis),
            "{text}"
        );
        assert!(
            rows[1].contains("s3-archive ") && !rows[1].contains(ellipsis),
            "{text}"
        );
        // Cut, it says so (and keeps its stale mark): it never reads as s3-archive.
        assert!(rows[2].contains(&format!("{ellipsis}*")), "{text}");
        assert!(!rows[2].contains("s3-archive "), "{text}");
        insta::assert_snapshot!(name, terminal.backend());
    }
}

/// Fifty backends of every kind, ids up to 24 characters, some down with a message.
fn fifty_app() -> App {
    let mut app = App::new(NOW, false, false);
    let kinds = ["s3", "ipfs", "local", "rclone", "ipfs_cluster"];
    let rows = (0..50)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let status = match i % 7 {
                3 => HealthStatus::Down,
                5 => HealthStatus::Degraded,
                _ => HealthStatus::Healthy,
            };
            let mut stats = stats(&format!("{kind}-store-{i:02}-eu-west"), kind, status);
            if status == HealthStatus::Down {
                stats.health.message = Some("connection refused by 10.0.0.5:3900".into());
            }
            stats.storage = Storage::filesystem(
                Some(1_000_000_000),
                Some(10_000_000 * i as u64),
                Some(900_000_000 - 10_000_000 * i as u64),
            );
            stats.performance.avg_response_time = Some(3.0 + i as f64);
            Row {
                stats,
                history: history(40),
                host: None,
            }
        })
        .collect();
    app.update(Msg::Snapshot {
        rows,
        problems: Vec::new(),
    });
    app.messages.clear();
    app
}

#[test]
fn at_200x50_fifty_backends_show_every_column_beside_the_detail() {
    let mut app = fifty_app();
    let terminal = render(&mut app, 200, 50, plain());
    let text = format!("{}", terminal.backend());
    let header = text
        .lines()
        .find(|l| l.contains("HEALTH"))
        .unwrap_or_default()
        .to_string();
    for column in [
        "KIND", "RESP", "USED", "QUOTA", "BYTES", "AVAIL", "OBJECTS", "CHECKED", "TREND", "MESSAGE",
    ] {
        assert!(header.contains(column), "{column} missing: {header}");
    }
    // The message is there, cut to its column with an ellipsis.
    assert!(text.contains("connection refused…"), "{text}");
    // The detail is still beside it.
    assert!(text.contains("(ipfs) "), "{text}");
    insta::assert_snapshot!("fifty_200x50", terminal.backend());
}

/// Finding 5: a backend that is down says when it is looked at again (every refresh: its
/// return shows within one).
#[test]
fn a_down_backend_says_when_its_next_check_is() {
    let mut app = app(false);
    let mut down = stats("kubo-main", "ipfs", HealthStatus::Down);
    down.health.message = Some("connection refused by 127.0.0.1:5001".into());
    down.health.next_check_at = Some(ts(4));
    app.update(Msg::Stats {
        stats: Box::new(down),
        point: None,
    });
    // kubo-main is the fourth by id.
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('j'));
    }
    let terminal = render(&mut app, 120, 40, plain());
    let text = format!("{}", terminal.backend());
    assert!(
        text.contains("✗ down  checked 12s ago  next check in 4s"),
        "{text}"
    );
    app.update(Msg::Tick(NOW + 5));
    let terminal = render(&mut app, 120, 40, plain());
    assert!(format!("{}", terminal.backend()).contains("checking now"));
}
