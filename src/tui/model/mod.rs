//! The console's domain models, apart from any GUI chrome: what the backends are (and which one
//! is selected), the alerts (grouped, and the recent closed ones), what was said in the message
//! log, what was typed on the command line, what the dashboard's own files hold. They know
//! nothing of panes, popups or drawing; `App` holds them and changes them only in `update`.

pub mod alerts;
pub mod backends;
pub mod chart_range;
pub mod chart_series;
pub mod columns;
pub mod command_line;
pub mod dashboard;
pub mod fleet;
pub mod home;
pub mod incidents;
pub mod messages;
pub mod timeline;

pub use alerts::{AlertBoard, GroupKey};
pub use backends::{BackendTable, Change, FigureColumn, FigureGroup, Row, SortColumn};
pub use chart_range::ChartRange;
pub use chart_series::ChartSeries;
pub use columns::ListColumn;
pub use command_line::CommandHistory;
pub use dashboard::DashboardBackends;
pub use fleet::FleetStatus;
pub use home::HomeStatus;
pub use incidents::IncidentList;
pub use messages::{Level, Message, MessageLog, MESSAGE_LIMIT};
pub use timeline::TimelineView;
