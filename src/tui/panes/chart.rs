//! One chart of the detail: a figure of a backend's kept history over the chosen range, drawn
//! with ratatui's `Chart`. Time runs left to right with labels (`-1h`, `-30m`, `now`); the value
//! axis says its min and max in the figure's unit. Response times and rates start at zero; sizes
//! and counts span what they were (a flat or near-constant one is drawn mid-chart with its value
//! as the only label, never as zero or blank). The points are downsampled to one column of the
//! plot each (times and rates averaged, sizes and counts as last read); a column with a failed
//! poll is marked at the bottom in the error colour; time without points (the console was not
//! running) is a gap, never a line across. A figure no point reports gets no chart.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::monitor::history::{Point, COARSE_BUCKET_SECS};
use crate::text::{bytes, count, millis, millis_compact};
use crate::tui::theme::Theme;

/// Rows a chart needs at least: its header, three rows of plot, the time axis and its labels.
pub const MIN_HEIGHT: u16 = 6;
/// Columns a chart needs at least to say anything.
pub const MIN_WIDTH: u16 = 20;
/// Time between two points more than this many times the series' usual step is a gap.
const GAP_FACTOR: u64 = 3;

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Response,
    Used,
    Objects,
    Throughput,
}

/// How a column's points become one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reduce {
    /// Times and rates: the mean of the column.
    Mean,
    /// Sizes and counts: the last read in the column.
    Last,
}

impl Figure {
    /// In the order the detail stacks them.
    pub const ALL: [Figure; 4] = [
        Figure::Response,
        Figure::Used,
        Figure::Objects,
        Figure::Throughput,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Figure::Response => "Response time",
            Figure::Used => "Used",
            Figure::Objects => "Objects",
            Figure::Throughput => "Throughput",
        }
    }

    /// Whether any of `points` holds this figure: one never reported gets no chart (unknown is
    /// not zero). Response time is charted whenever there are polls: a failure is news.
    pub fn reported(self, points: &[Point]) -> bool {
        match self {
            Figure::Response => !points.is_empty(),
            _ => points
                .iter()
                .any(|p| self.lines().iter().any(|line| (line.value)(p).is_some())),
        }
    }

    fn reduce(self) -> Reduce {
        match self {
            Figure::Response | Figure::Throughput => Reduce::Mean,
            Figure::Used | Figure::Objects => Reduce::Last,
        }
    }

    /// Response times and rates are read against zero; sizes and counts against what they were
    /// (growth after an upload is not growth from nothing).
    fn zero_based(self) -> bool {
        matches!(self, Figure::Response | Figure::Throughput)
    }

    /// A value as the value axis says it: sizes always with one decimal, so that two values
    /// the axis cannot tell apart read the same.
    fn format(self, value: f64) -> String {
        let axis_bytes = |n: f64| {
            let options = humansize::FormatSizeOptions::from(humansize::BINARY)
                .decimal_places(1)
                .decimal_zeroes(1);
            humansize::format_size(n.max(0.0).round() as u64, options)
        };
        match self {
            Figure::Response => millis_compact(value),
            Figure::Used => axis_bytes(value),
            Figure::Objects => count(value.max(0.0).round() as u64),
            Figure::Throughput => format!("{}/s", axis_bytes(value)),
        }
    }

    /// The lines the chart draws (throughput has two: in and out).
    fn lines(self) -> &'static [LineSpec] {
        const RESPONSE: &[LineSpec] = &[LineSpec {
            label: "",
            value: |p| p.response_ms.map(f64::from),
        }];
        const USED: &[LineSpec] = &[LineSpec {
            label: "",
            value: |p| p.used_bytes.map(|b| b as f64),
        }];
        const OBJECTS: &[LineSpec] = &[LineSpec {
            label: "",
            value: |p| p.objects.map(|n| n as f64),
        }];
        const THROUGHPUT: &[LineSpec] = &[
            LineSpec {
                label: "in",
                value: |p| p.rate_in.map(f64::from),
            },
            LineSpec {
                label: "out",
                value: |p| p.rate_out.map(f64::from),
            },
        ];
        match self {
            Figure::Response => RESPONSE,
            Figure::Used => USED,
            Figure::Objects => OBJECTS,
            Figure::Throughput => THROUGHPUT,
        }
    }
}

/// One line of a chart: what it reads from a point, and its name where a chart has two.
struct LineSpec {
    label: &'static str,
    value: fn(&Point) -> Option<f64>,
}

/// The points of one backend a chart reads, and the time it covers.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// Oldest first.
    pub points: &'a [Point],
    /// Where poll resolution starts: before it, points are 10-minute buckets.
    pub fine_from: u64,
    /// The range: `[start, end]`, unix seconds (`end` is now).
    pub start: u64,
    pub end: u64,
    /// Where the used bytes are forecast to reach their limit: drawn on the used chart when it
    /// falls within one range ahead of now.
    pub projection: Option<Projection>,
}

/// A forecast as the used chart draws it: a dashed line from the latest value to `limit` at
/// `full_at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    /// Unix seconds.
    pub full_at: u64,
    /// Bytes.
    pub limit: f64,
}

impl Series<'_> {
    /// The points inside the range.
    pub fn visible(&self) -> &[Point] {
        let from = self.points.partition_point(|p| p.at < self.start);
        let to = self.points.partition_point(|p| p.at <= self.end);
        &self.points[from..to.max(from)]
    }

    /// The usual time between two points at poll resolution: the median step.
    fn usual_step(&self) -> Option<u64> {
        let mut steps: Vec<u64> = self
            .visible()
            .windows(2)
            .filter(|w| w[0].at >= self.fine_from)
            .map(|w| w[1].at.saturating_sub(w[0].at))
            .filter(|step| *step > 0)
            .collect();
        if steps.is_empty() {
            return None;
        }
        let middle = steps.len() / 2;
        Some(*steps.select_nth_unstable(middle).1)
    }

    /// Whether the time between `before` and `after` had no polls: much longer than the usual
    /// step (a 10-minute bucket's, before `fine_from`).
    fn gap_between(&self, before: &Point, after: &Point, usual_step: Option<u64>) -> bool {
        let step = if before.at < self.fine_from {
            Some(COARSE_BUCKET_SECS)
        } else {
            usual_step
        };
        step.is_some_and(|step| after.at.saturating_sub(before.at) > GAP_FACTOR * step.max(1))
    }
}

/// One column of the plot: the points that fall into it, reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Column {
    sum: f64,
    values: u32,
    last: Option<f64>,
    /// A poll in this column failed.
    failed: bool,
    /// A point in this column lacks the figure.
    missing: bool,
    /// The time before this column's first point had no polls.
    gap_before: bool,
}

impl Column {
    fn value(&self, reduce: Reduce) -> Option<f64> {
        match reduce {
            Reduce::Mean => (self.values > 0).then(|| self.sum / f64::from(self.values)),
            Reduce::Last => self.last,
        }
    }
}

/// The series downsampled to `columns` columns for one line.
fn columns(series: &Series, columns: usize, value: fn(&Point) -> Option<f64>) -> Vec<Column> {
    let width = columns.max(1);
    let mut out = vec![Column::default(); width];
    let span = series.end.saturating_sub(series.start).max(1) as f64;
    let column_of = |at: u64| {
        let offset = at.saturating_sub(series.start) as f64 / span;
        ((offset * width as f64) as usize).min(width - 1)
    };
    let usual_step = series.usual_step();
    let mut before: Option<(&Point, usize)> = None;
    for point in series.visible() {
        let i = column_of(point.at);
        if let Some((previous, previous_column)) = before {
            if previous_column != i && series.gap_between(previous, point, usual_step) {
                out[i].gap_before = true;
            }
        }
        let column = &mut out[i];
        if point.failed() {
            column.failed = true;
        }
        match value(point) {
            Some(v) if v.is_finite() => {
                column.sum += v;
                column.values += 1;
                column.last = Some(v);
            }
            _ => column.missing = true,
        }
        before = Some((point, i));
    }
    out
}

/// The columns with a value as `(column, value)` runs: a run ends at a gap, or at a column whose
/// points all lack the figure (a failed poll measured nothing: no line is drawn across it).
fn segments(columns: &[Column], reduce: Reduce) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut broken = false;
    for (i, column) in columns.iter().enumerate() {
        let value = column.value(reduce);
        if column.gap_before || (value.is_none() && (column.failed || column.missing)) {
            broken = true;
        }
        if let Some(value) = value {
            if broken && !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            broken = false;
            run.push((i as f64, value));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// The value axis: its bounds and labels (bottom to top).
struct ValueAxis {
    bounds: [f64; 2],
    labels: Vec<String>,
    /// Every value reads the same on this axis: they are drawn on its middle row.
    flat: bool,
}

/// The axis for values from `low` to `high`, as `figure` is read.
fn value_axis(figure: Figure, low: f64, high: f64) -> ValueAxis {
    if figure.zero_based() {
        let top = if high > 0.0 { high } else { 1.0 };
        return ValueAxis {
            bounds: [0.0, top],
            labels: vec!["0".into(), figure.format(top)],
            flat: false,
        };
    }
    let (low_text, high_text) = (figure.format(low), figure.format(high));
    if low_text == high_text {
        // Flat, or moving less than the unit can say: drawn mid-chart, its value said there.
        let pad = (high.abs() / 100.0).max(1.0);
        let middle = (low + high) / 2.0;
        return ValueAxis {
            bounds: [middle - pad, middle + pad],
            labels: vec![String::new(), low_text, String::new()],
            flat: true,
        };
    }
    ValueAxis {
        bounds: [low, high],
        labels: vec![low_text, high_text],
        flat: false,
    }
}

/// `-1h`, `-7m30s`, `-15d`: how long before now.
fn before_now(secs: u64) -> String {
    match secs {
        0 => "now".into(),
        s if s % 86_400 == 0 && s > 86_400 => format!("-{}d", s / 86_400),
        s if s % 3600 == 0 => format!("-{}h", s / 3600),
        s if s % 60 == 0 => format!("-{}m", s / 60),
        s if s > 60 => format!("-{}m{}s", s / 60, s % 60),
        s => format!("-{s}s"),
    }
}

/// `+1h`, `+30m`: how long after now.
fn after_now(secs: u64) -> String {
    format!("+{}", before_now(secs).trim_start_matches('-'))
}

/// The columns of the plot a chart of `width` gets, its value labels taking their share
/// (as ratatui's `Chart` lays it out: labels left of the axis, one column of axis).
fn plot_columns(width: u16, labels: &[String], first_time_label: &str) -> u16 {
    let label_width = labels
        .iter()
        .map(|l| Span::raw(l.as_str()).width())
        .max()
        .unwrap_or(0)
        .max(Span::raw(first_time_label).width().saturating_sub(1)) as u16;
    width
        .saturating_sub(label_width.min(width / 3))
        .saturating_sub(1)
}

/// The latest value of a line in the range, for the header.
fn latest(points: &[Point], value: fn(&Point) -> Option<f64>) -> Option<f64> {
    points.iter().rev().find_map(value)
}

/// Draws the chart of `figure` for `series` in `area`: a header line (the figure, its latest
/// value, failures), then the chart. `old` figures (stale, down) are dimmed.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    figure: Figure,
    series: &Series,
    theme: &Theme,
    old: bool,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let [header_area, chart_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let visible = series.visible();
    let specs = figure.lines();
    let line_styles = [
        if old { theme.dim() } else { theme.accent() },
        if old { theme.dim() } else { Style::default() },
    ];
    let failures = visible.iter().filter(|p| p.failed()).count();

    // The header: what, how much now, how many polls failed.
    let mut header = vec![Span::styled(figure.name(), theme.dim())];
    for (spec, style) in specs.iter().zip(line_styles) {
        let text = match latest(visible, spec.value) {
            Some(v) => figure.format_header(v),
            None => "?".into(),
        };
        let label = if spec.label.is_empty() {
            String::new()
        } else {
            format!("{} ", spec.label)
        };
        header.push(Span::raw("  "));
        header.push(Span::styled(format!("{label}{text}"), style));
    }
    // Said once, on the response time's chart; the others mark the columns.
    if failures > 0 && figure == Figure::Response {
        header.push(Span::raw("  "));
        header.push(Span::styled(
            crate::text::plural(failures as u64, "failed poll", "failed polls"),
            theme.error(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(header)), header_area);
    if chart_area.height < MIN_HEIGHT - 1 || chart_area.width < MIN_WIDTH {
        return;
    }

    // A forecast reaching its limit within one range ahead: the chart spans as much ahead as
    // behind (now in the middle), and the limit is on the value axis.
    let past = series.end.saturating_sub(series.start);
    let projection = series
        .projection
        .filter(|_| figure == Figure::Used)
        .filter(|p| p.full_at >= series.end && p.full_at - series.end <= past);
    let ahead = projection.map(|_| Series {
        end: series.end.saturating_add(past),
        ..*series
    });
    let layout = ahead.as_ref().unwrap_or(series);
    let mut values: Vec<f64> = visible
        .iter()
        .flat_map(|p| specs.iter().filter_map(move |spec| (spec.value)(p)))
        .filter(|v| v.is_finite())
        .collect();
    if let Some(projection) = projection.filter(|_| !values.is_empty()) {
        values.push(projection.limit);
    }
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let axis = if values.is_empty() {
        // Polls, but none with the figure (every one failed): the time axis and the marks.
        ValueAxis {
            bounds: [0.0, 1.0],
            labels: vec!["?".into(), "?".into()],
            flat: false,
        }
    } else {
        value_axis(figure, low, high)
    };
    let span = series.end.saturating_sub(series.start);
    let time_labels = match projection {
        Some(_) => [before_now(span), before_now(0), after_now(span)],
        None => [before_now(span), before_now(span / 2), before_now(0)],
    };
    let plot = plot_columns(chart_area.width, &axis.labels, &time_labels[0]).max(1) as usize;

    let reduce = figure.reduce();
    let markers = if theme.ascii {
        [Marker::Custom('*'), Marker::Custom('o')]
    } else {
        [Marker::Braille, Marker::Dot]
    };
    let mut runs: Vec<(Vec<(f64, f64)>, usize)> = Vec::new();
    let mut failed_columns = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let cols = columns(layout, plot, spec.value);
        if n == 0 {
            failed_columns = cols
                .iter()
                .enumerate()
                .filter(|(_, c)| c.failed)
                .map(|(i, _)| (i as f64, axis.bounds[0]))
                .collect();
        }
        let mut lines = segments(&cols, reduce);
        if axis.flat {
            // Differences the axis cannot say would only tip the line from one dot to the next.
            let middle = (axis.bounds[0] + axis.bounds[1]) / 2.0;
            lines.iter_mut().flatten().for_each(|(_, y)| *y = middle);
        }
        runs.extend(lines.into_iter().map(|run| (run, n)));
    }
    let mut datasets: Vec<Dataset> = runs
        .iter()
        .map(|(run, n)| {
            Dataset::default()
                .data(run)
                .graph_type(GraphType::Line)
                .marker(markers[n % 2])
                .style(line_styles[n % 2])
        })
        .collect();
    // The projection: every other column from now to the limit (dashed), in the warning colour.
    let latest_used = latest(visible, specs[0].value);
    let dashes: Vec<(f64, f64)> = match (projection, latest_used) {
        (Some(projection), Some(from)) if !axis.flat => {
            let column_of = |at: u64| {
                let offset = at.saturating_sub(layout.start) as f64
                    / layout.end.saturating_sub(layout.start).max(1) as f64;
                (offset * plot as f64).min(plot as f64 - 1.0)
            };
            let (c0, c1) = (column_of(series.end), column_of(projection.full_at));
            let steps = (c1 - c0).max(0.0) as usize;
            (0..=steps)
                .step_by(2)
                .map(|i| {
                    let share = if steps == 0 {
                        1.0
                    } else {
                        i as f64 / steps as f64
                    };
                    (c0 + i as f64, from + (projection.limit - from) * share)
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if !dashes.is_empty() {
        datasets.push(
            Dataset::default()
                .data(&dashes)
                .graph_type(GraphType::Scatter)
                .marker(if theme.ascii {
                    Marker::Custom('.')
                } else {
                    Marker::Dot
                })
                .style(theme.warning()),
        );
    }
    let failed = Dataset::default()
        .data(&failed_columns)
        .graph_type(GraphType::Scatter)
        .marker(Marker::Custom('x'))
        .style(theme.error());
    // On the response time's chart a failure is drawn over whatever is in its bottom cell; on
    // the others under the line (a size at its lowest stays drawn, the failure is said above).
    if figure == Figure::Response {
        datasets.push(failed);
    } else {
        datasets.insert(0, failed);
    }
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, (plot.saturating_sub(1)).max(1) as f64])
                .labels(time_labels.map(|l| Span::styled(l, theme.dim())))
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds(axis.bounds)
                .labels(
                    axis.labels
                        .iter()
                        .map(|l| Span::styled(l.clone(), theme.dim())),
                )
                .style(theme.dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, chart_area);
}

impl Figure {
    /// The latest value as the header says it: as the rest of the console says figures.
    fn format_header(self, value: f64) -> String {
        let n = value.max(0.0).round() as u64;
        match self {
            Figure::Response => millis(value),
            Figure::Used => bytes(n),
            Figure::Objects => count(n),
            Figure::Throughput => format!("{}/s", bytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::Terminal;

    use crate::tui::theme::ColorDepth;

    const NOW: u64 = 1_795_003_200;

    fn at(ago: u64, response_ms: Option<f32>, used: Option<u64>) -> Point {
        Point {
            at: NOW - ago,
            response_ms,
            used_bytes: used,
            ..Point::default()
        }
    }

    /// A poll every 5 s over the last `secs`, `f(i)` giving each its figures.
    fn polls(secs: u64, f: impl Fn(u64) -> (Option<f32>, Option<u64>)) -> Vec<Point> {
        (0..secs / 5)
            .rev()
            .map(|i| {
                let (ms, used) = f(i);
                at(i * 5, ms, used)
            })
            .collect()
    }

    fn hour(points: &[Point]) -> Series<'_> {
        Series {
            points,
            fine_from: 0,
            start: NOW - 3600,
            end: NOW,
            projection: None,
        }
    }

    fn render(figure: Figure, series: &Series, width: u16, height: u16, ascii: bool) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let theme = Theme::new(ColorDepth::None, ascii);
        terminal
            .draw(|frame| draw(frame, frame.area(), figure, series, &theme, false))
            .unwrap();
        terminal.backend().buffer().clone()
    }

    fn text(buffer: &Buffer) -> Vec<String> {
        crate::tui::test_support::screen_lines(buffer)
    }

    fn blank(symbol: &str) -> bool {
        symbol.trim().is_empty() || symbol == "\u{2800}"
    }

    /// The plot's columns on screen (x) and rows (y range), found from the drawn axes: the
    /// vertical axis is the `│` (or `|`) column, the time axis the row of `─` under the plot.
    fn plot_area(buffer: &Buffer) -> (u16, u16, std::ops::Range<u16>) {
        let rows = text(buffer);
        let axis_row = rows
            .iter()
            .rposition(|r| r.contains("└") || r.contains("+-"))
            .unwrap() as u16;
        let line = &rows[axis_row as usize];
        let corner = line.chars().position(|c| c == '└' || c == '+').unwrap() as u16;
        (corner + 1, buffer.area.width, 1..axis_row)
    }

    /// Every column of the plot that has a data point shows something: no real value is blank.
    fn assert_every_point_drawn(figure: Figure, series: &Series, width: u16, height: u16) {
        let buffer = render(figure, series, width, height, false);
        let (left, right, rows) = plot_area(&buffer);
        let plot = (right - left) as usize;
        let spec = &figure.lines()[0];
        let cols = columns(series, plot, spec.value);
        let screen = text(&buffer).join("\n");
        for (i, column) in cols.iter().enumerate() {
            if column.value(figure.reduce()).is_none() && !column.failed {
                continue;
            }
            let x = left + i as u16;
            assert!(
                rows.clone().any(|y| !blank(buffer[(x, y)].symbol())),
                "column {i} has a point but is blank:\n{screen}"
            );
        }
    }

    #[test]
    fn a_flat_series_is_drawn_mid_chart_with_its_value() {
        let points = polls(3600, |_| (Some(10.0), Some(734_003_200)));
        let series = hour(&points);
        assert_every_point_drawn(Figure::Used, &series, 60, 10);
        assert_every_point_drawn(Figure::Response, &series, 60, 10);
        let buffer = render(Figure::Used, &series, 60, 10, false);
        let rows = text(&buffer);
        // The plot is rows 1..=6 (header above, axis and labels below): the line in the middle.
        let line_rows: Vec<usize> = (1..8)
            .filter(|y| rows[*y].chars().skip(12).any(|c| c != ' ' && c != '│'))
            .collect();
        assert_eq!(line_rows.len(), 1, "{rows:#?}");
        assert!((3..=4).contains(&line_rows[0]), "{rows:#?}");
        assert!(rows[line_rows[0]].starts_with("700.0 MiB"), "{rows:#?}");
        assert!(rows[0].contains("Used  700 MiB"), "{rows:#?}");
        assert!(
            !rows.iter().any(|r| r.starts_with("0 ")),
            "no zero: {rows:#?}"
        );
    }

    #[test]
    fn a_near_constant_series_is_not_drawn_as_gaps() {
        // A few bytes up and down on 700 MiB: the unit cannot tell them apart.
        let points = polls(3600, |i| {
            (Some(10.0 + (i % 3) as f32), Some(734_003_200 + i % 7))
        });
        let series = hour(&points);
        assert_every_point_drawn(Figure::Used, &series, 60, 10);
        assert_every_point_drawn(Figure::Response, &series, 60, 10);
        let axis = value_axis(Figure::Used, 734_003_200.0, 734_003_206.0);
        assert_eq!(axis.labels, ["", "700.0 MiB", ""]);
    }

    #[test]
    fn a_growing_series_spans_what_it_was_not_zero() {
        // An upload: 1 GiB growing to 1.5 GiB over the hour.
        let points = polls(3600, |i| {
            (Some(20.0), Some((1u64 << 30) + (720 - i) * 745_654))
        });
        let series = hour(&points);
        assert_every_point_drawn(Figure::Used, &series, 60, 12);
        let rows = text(&render(Figure::Used, &series, 60, 12, false));
        assert!(
            rows[1].starts_with("1.5"),
            "the top is the last value: {rows:#?}"
        );
        let bottom = rows.iter().rposition(|r| r.starts_with("1.0 GiB")).unwrap();
        assert!(
            bottom > 5,
            "the bottom is the first value, not zero: {rows:#?}"
        );
        assert!(rows.iter().any(|r| r.contains("-1h") && r.contains("now")));
        // Response time does start at zero.
        let rows = text(&render(Figure::Response, &series, 60, 12, false));
        assert!(rows.iter().any(|r| r.starts_with('0')), "{rows:#?}");
    }

    #[test]
    fn a_forecast_within_the_range_is_drawn_ahead_of_now_up_to_the_limit() {
        // 1.0 GiB growing to 1.5 GiB over the hour; full at 2 GiB in 40 minutes.
        let points = polls(3600, |i| {
            (Some(20.0), Some((1u64 << 30) + (720 - i) * 745_654))
        });
        let mut series = hour(&points);
        series.projection = Some(Projection {
            full_at: NOW + 2_400,
            limit: (2u64 << 30) as f64,
        });
        let buffer = render(Figure::Used, &series, 60, 12, true);
        let rows = text(&buffer);
        assert!(
            rows[1].starts_with("2.0 GiB"),
            "the limit tops the axis: {rows:#?}"
        );
        let labels = rows.iter().rev().find(|r| r.contains("now")).unwrap();
        assert!(labels.contains("-1h") && labels.contains("+1h"), "{labels}");
        // The dashes are right of now (the middle) and reach the top row.
        let (left, right, plot_rows) = plot_area(&buffer);
        let middle = left + (right - left) / 2;
        let dots: Vec<(u16, u16)> = plot_rows
            .clone()
            .flat_map(|y| (left..right).map(move |x| (x, y)))
            .filter(|&(x, y)| buffer[(x, y)].symbol() == ".")
            .collect();
        assert!(dots.len() >= 5, "{rows:#?}");
        assert!(dots.iter().all(|&(x, _)| x + 1 >= middle), "{rows:#?}");
        assert!(dots.iter().any(|&(_, y)| y == plot_rows.start), "{rows:#?}");
        // Beyond one range ahead, or on another figure, nothing is projected.
        series.projection = Some(Projection {
            full_at: NOW + 7_200,
            limit: (2u64 << 30) as f64,
        });
        let far = text(&render(Figure::Used, &series, 60, 12, true));
        assert!(!far.iter().any(|r| r.contains("+1h")), "{far:#?}");
        assert!(far[1].starts_with("1.5"), "{far:#?}");
    }

    #[test]
    fn a_gap_is_drawn_as_a_gap_and_failures_are_marked() {
        // Polls for the first 20 minutes and the last 20: the console was off in between.
        // Two polls failed at the end.
        let mut points = polls(3600, |i| (Some(10.0 + (i % 5) as f32), Some(1_000_000 + i)));
        points.retain(|p| NOW - p.at >= 2400 || NOW - p.at < 1200);
        let n = points.len();
        points[n - 3].response_ms = None;
        points[n - 3].used_bytes = None;
        let series = hour(&points);
        assert_every_point_drawn(Figure::Response, &series, 62, 10);
        assert_every_point_drawn(Figure::Used, &series, 62, 10);
        let buffer = render(Figure::Response, &series, 62, 10, false);
        let (left, right, rows) = plot_area(&buffer);
        let plot = (right - left) as usize;
        let cols = columns(&series, plot, Figure::Response.lines()[0].value);
        // The middle third of the plot has nothing in it: no line across the gap.
        let empty: Vec<usize> = (0..plot)
            .filter(|i| {
                let x = left + *i as u16;
                rows.clone().all(|y| blank(buffer[(x, y)].symbol()))
            })
            .collect();
        assert!(empty.len() >= plot / 3 - 2, "{empty:?}");
        let runs = segments(&cols, Reduce::Mean);
        assert!(runs.len() >= 2, "split at the gap");
        // The failed poll is an `x` in the bottom row of the plot, in the error colour.
        let bottom = rows.end - 1;
        let marked: Vec<u16> = (left..right)
            .filter(|x| buffer[(*x, bottom)].symbol() == "x")
            .collect();
        assert_eq!(marked.len(), 1, "{:#?}", text(&buffer));
        assert!(text(&buffer)[0].contains("1 failed poll"));
    }

    #[test]
    fn coarse_buckets_are_not_gaps_but_missing_buckets_are() {
        // A day: 10-minute buckets until 2 h ago, then a poll every 5 s.
        let fine_from = NOW - 7200;
        let mut points: Vec<Point> = (12..144)
            .rev()
            .map(|i| at(i * 600, Some(12.0), Some(5_000)))
            .collect();
        points.extend(polls(7200, |_| (Some(12.0), Some(5_000))));
        let day_segments = |points: &[Point]| {
            let day = Series {
                points,
                fine_from,
                start: NOW - 86_400,
                end: NOW,
                projection: None,
            };
            let cols = columns(&day, 80, Figure::Response.lines()[0].value);
            segments(&cols, Reduce::Mean).len()
        };
        assert_eq!(day_segments(&points), 1);
        // Three hours of buckets missing: a gap.
        points.retain(|p| !(NOW - 20 * 3600..NOW - 17 * 3600).contains(&p.at));
        assert_eq!(day_segments(&points), 2);
    }

    #[test]
    fn a_figure_never_reported_gets_no_chart() {
        let points = polls(600, |_| (Some(5.0), None));
        assert!(Figure::Response.reported(&points));
        assert!(!Figure::Used.reported(&points));
        assert!(!Figure::Objects.reported(&points));
        assert!(!Figure::Throughput.reported(&points));
        assert!(!Figure::Response.reported(&[]));
    }

    #[test]
    fn ascii_charts_use_ascii_markers() {
        let mut points = polls(3600, |i| (Some(10.0 + (i % 9) as f32), Some(1)));
        points[100].response_ms = None;
        let buffer = render(Figure::Response, &hour(&points), 60, 10, true);
        let rows = text(&buffer);
        let plot: String = rows[1..8]
            .iter()
            .map(|r| r.chars().skip(6).collect::<String>())
            .collect();
        assert!(plot.contains('*') && plot.contains('x'), "{rows:#?}");
        assert!(
            rows.iter()
                .all(|r| r.chars().all(|c| c.is_ascii() || "│└─".contains(c))),
            "the axes' lines are made ASCII by the frame's pass: {rows:#?}"
        );
    }

    #[test]
    fn time_labels_say_how_long_before_now() {
        assert_eq!(before_now(3600), "-1h");
        assert_eq!(before_now(450), "-7m30s");
        assert_eq!(before_now(15 * 86_400), "-15d");
        assert_eq!(before_now(302_400), "-84h");
        assert_eq!(before_now(0), "now");
        assert_eq!(before_now(86_400), "-24h");
    }
}
