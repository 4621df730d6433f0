//! How the screen is split between the panes, decided from its size and what is shown: small
//! terminals lose sparklines first, then gauges, then columns (down to 40x12).

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::state::App;

/// What fits, decided once per frame from the size.
#[derive(Clone, Copy, Debug)]
pub struct Fit {
    pub side_by_side: bool,
    pub detail: bool,
    pub gauges: bool,
    pub sparklines: bool,
    pub messages: u16,
}

pub fn fit(area: Rect, lite: bool) -> Fit {
    let side_by_side = area.width >= 100 && area.height >= 16;
    let detail = side_by_side || area.height >= 22;
    Fit {
        side_by_side,
        detail,
        gauges: area.height >= 16,
        sparklines: !lite && area.height >= 30,
        messages: if area.height >= 34 {
            7
        } else if area.height >= 22 {
            4
        } else {
            0
        },
    }
}

/// Where the detail of the selected backend goes and what fits in it.
#[derive(Clone, Copy, Debug)]
pub struct DetailArea {
    pub area: Rect,
    pub fit: Fit,
    /// It fills the screen above the footer (Enter on the list).
    pub full: bool,
}

/// The screen split between the panes; a pane that is not shown has no area.
#[derive(Clone, Copy, Debug)]
pub struct Regions {
    /// The summary line at the top (the fleet at a glance), when the screen has the rows.
    pub summary: Option<Rect>,
    pub list: Option<Rect>,
    pub detail: Option<DetailArea>,
    pub messages: Option<Rect>,
    pub footer: Rect,
}

/// Splits `area` (the whole screen) between the panes, as `app` shows them now.
pub fn regions(area: Rect, app: &App) -> Regions {
    split(area, app, app.full_detail)
}

/// Rows per page of the list on a screen of `area` (for PgUp/PgDn): its inner height less the
/// header. Under the full-screen detail, those of the list it covers.
pub fn list_page(area: Rect, app: &App) -> usize {
    let list = split(area, app, false).list.unwrap_or_default();
    list.height.saturating_sub(3).max(1) as usize
}

/// The list's first visible row so that `selected` is on a page of `page` rows: unchanged while
/// it already is, else moved just enough (the selection at the page's edge it left by).
pub fn scroll_offset(offset: usize, selected: usize, page: usize, len: usize) -> usize {
    let page = page.max(1);
    let mut offset = offset.min(len.saturating_sub(page));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + page {
        offset = selected + 1 - page;
    }
    offset
}

/// Screens at least this tall start with the summary line.
const SUMMARY_MIN_HEIGHT: u16 = 14;

/// The narrowest detail beside the list: its facts and a chart still read well. With the
/// widest list (13-cell health, 28-cell ids, every column) a 200-column screen has exactly it.
const DETAIL_MIN_WIDTH: u16 = 58;
/// What the list takes beyond every column at its least, when the detail can spare it: room for
/// the message (the column that grows), up to twice its least.
const MESSAGE_ROOM: u16 = 16;

/// The list's width beside the detail on a screen `width` wide: 55% of it, unless the screen
/// is wide enough for every column of the list beside a detail of `DETAIL_MIN_WIDTH` — then
/// the list has them all (and room for its messages), and the detail what is left.
fn list_width(width: u16, app: &App) -> u16 {
    let share = width * 55 / 100;
    let rows = app.backends.rows();
    // The borders, then every column the config file allows.
    let full = 2 + super::list::full_width(&app.list_columns, rows, super::list::any_marked(app));
    let most = width.saturating_sub(DETAIL_MIN_WIDTH);
    if full <= most {
        (full + MESSAGE_ROOM).min(most).max(share)
    } else {
        share
    }
}

fn split(area: Rect, app: &App, full_detail: bool) -> Regions {
    let summary_height = u16::from(area.height >= SUMMARY_MIN_HEIGHT);
    let [summary, body, footer] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let summary = (summary_height > 0).then_some(summary);
    let fit = fit(area, app.lite);
    let selected = app.selected_row().is_some();
    if full_detail {
        let detail = selected.then_some(DetailArea {
            area: body,
            fit: Fit {
                gauges: true,
                sparklines: !app.lite && body.height >= 16,
                ..fit
            },
            full: true,
        });
        return Regions {
            summary,
            list: None,
            detail,
            messages: None,
            footer,
        };
    }
    let [main, messages] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(fit.messages)]).areas(body);
    let messages = (fit.messages > 0).then_some(messages);
    if !(fit.detail && selected) {
        return Regions {
            summary,
            list: Some(main),
            detail: None,
            messages,
            footer,
        };
    }
    let (list, detail) = if fit.side_by_side {
        let [l, d] = Layout::horizontal([
            Constraint::Length(list_width(main.width, app)),
            Constraint::Min(0),
        ])
        .areas(main);
        (l, d)
    } else {
        let detail_height = if fit.sparklines {
            16
        } else {
            10.min(main.height / 2)
        };
        let [l, d] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(detail_height)]).areas(main);
        (l, d)
    };
    Regions {
        summary,
        list: Some(list),
        detail: Some(DetailArea {
            area: detail,
            fit,
            full: false,
        }),
        messages,
        footer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{BackendStats, Health, HealthStatus};
    use crate::tui::message::Msg;
    use crate::tui::model::{ListColumn, Row};
    use crate::tui::panes::list::{plan_columns, Shown};

    /// The widest list there is: a 28-character id, `· unsupported`, stale marks.
    fn widest() -> App {
        let mut app = App::new(0, false, false);
        let row = |id: &str, status| Row {
            stats: BackendStats {
                id: id.into(),
                kind: "lassie".into(),
                health: Health {
                    status,
                    ..Health::default()
                },
                stale: true,
                ..BackendStats::default()
            },
            ..Row::default()
        };
        app.update(Msg::Snapshot {
            rows: vec![
                row("an-id-of-twenty-eight-chars-x", HealthStatus::Unsupported),
                Row {
                    stats: BackendStats {
                        // A limit to fill: FULL IN is among the columns.
                        forecast: Some(crate::stats::forecast::ForecastReport::new(
                            crate::stats::forecast::Outlook::TooLittleHistory,
                            100,
                            crate::stats::forecast::LimitSource::Quota,
                        )),
                        ..row("b", HealthStatus::Healthy).stats
                    },
                    ..Row::default()
                },
            ],
            problems: Vec::new(),
        });
        app
    }

    #[test]
    fn from_210_columns_the_list_has_every_column_beside_the_detail() {
        let app = widest();
        for width in [210, 220, 260] {
            let regions = regions(Rect::new(0, 0, width, 50), &app);
            let list = regions.list.unwrap_or_default();
            let detail = regions.detail.map(|d| d.area).unwrap_or_default();
            assert!(detail.width >= DETAIL_MIN_WIDTH, "{width}: {detail:?}");
            let plan = plan_columns(
                list.width - 2,
                &app.list_columns,
                app.backends.rows(),
                false,
            );
            // Availability takes the room left over, not asked for.
            for column in ListColumn::ALL
                .into_iter()
                .filter(|c| !matches!(c, ListColumn::Host | ListColumn::Up24h | ListColumn::Up30d))
            {
                assert!(
                    plan.iter()
                        .any(|(shown, _)| *shown == Shown::Column(column)),
                    "{width}: no {column:?} in {plan:?}"
                );
            }
        }
        // Narrower, the split is as it was: 55% for the list.
        let regions = regions(Rect::new(0, 0, 120, 40), &app);
        assert_eq!(regions.list.unwrap_or_default().width, 66);
    }
}
