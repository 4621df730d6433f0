//! The form to add or edit a backend (after the kind chooser, `chooser.rs`, when adding): the
//! kind's fields from its schema — required ones marked, defaults filled, checked as you type
//! with the reason under the field, secrets masked with a reveal toggle, Test (probes the
//! unsaved config) and Save. State, keys, hints and drawing here; drawing is pure.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use serde_json::{Map, Value};
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use crate::backends::{self, FieldSpec, FieldType, Kind};
use crate::probe::TestReport;
use crate::store::{names, BackendDoc};
use crate::text::sanitize;
use crate::tui::panes::block;
use crate::tui::panes::footer::Hint;
use crate::tui::panes::layout::centered;
use crate::tui::theme::Theme;

pub const HINTS: &[Hint] = &[
    ("Tab", "next"),
    ("C-s", "save"),
    ("C-t", "test"),
    ("C-r", "reveal"),
    ("Esc", "cancel"),
];

/// One editable line of the form.
#[derive(Debug)]
struct Field {
    /// `None` for the id, which is not part of the config.
    spec: Option<&'static FieldSpec>,
    input: Input,
    error: Option<String>,
    /// Shown errors only once the operator has been here (or tried to save).
    touched: bool,
    reveal: bool,
}

impl Field {
    fn name(&self) -> &'static str {
        self.spec.map(|s| s.name).unwrap_or("id")
    }
    fn required(&self) -> bool {
        self.spec.is_none_or(|s| s.required)
    }
    fn is_secret(&self) -> bool {
        self.spec.is_some_and(|s| s.secret)
    }
    /// Bool and choice fields are cycled, not typed.
    fn choices(&self) -> Option<Vec<&'static str>> {
        match self.spec.map(|s| s.ty) {
            Some(FieldType::Bool) => Some(vec!["true", "false"]),
            Some(FieldType::Choice(words)) => Some(words.to_vec()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Status {
    None,
    Error(String),
    Testing,
    Tested { ok: bool, text: String },
}

/// What a key did to the form.
#[derive(Clone, Debug, PartialEq)]
pub enum FormOutcome {
    None,
    Cancel,
    Save {
        id: String,
        config: Map<String, Value>,
        editing: bool,
    },
    Test {
        id: String,
        config: Map<String, Value>,
    },
}

/// Why a save was refused, typed for the screen: a field's reason goes under that field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error("field '{field}': {reason}")]
    Field { field: String, reason: String },
    #[error("{0}")]
    Other(String),
}

const BUTTONS: [&str; 3] = ["Test", "Save", "Cancel"];

/// The kind a form edits: one this console knows (its whole schema), or one it does not probe
/// (a kind of the Python library's, or none): then only the fields every kind has.
#[derive(Clone, Debug, PartialEq)]
enum FormKind {
    Known(Kind),
    Other(String),
}

impl FormKind {
    fn fields(&self) -> Vec<&'static FieldSpec> {
        match self {
            FormKind::Known(kind) => kind.fields().collect(),
            FormKind::Other(_) => backends::schema::COMMON_FIELDS.iter().collect(),
        }
    }

    fn name(&self) -> &str {
        match self {
            FormKind::Known(kind) => kind.as_str(),
            FormKind::Other(name) => name,
        }
    }
}

impl std::fmt::Display for FormKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormKind::Known(kind) => write!(f, "{kind}"),
            FormKind::Other(name) => write!(f, "{}, not polled here", sanitize(name, 30)),
        }
    }
}

#[derive(Debug)]
pub struct Form {
    kind: FormKind,
    editing: bool,
    /// The id first, then the kind's fields in schema order.
    fields: Vec<Field>,
    /// Index into fields, then the buttons after them.
    focus: usize,
    status: Status,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Form {
    fn new(kind: FormKind, editing: bool, id: &str, values: &Map<String, Value>) -> Form {
        let mut fields = vec![Field {
            spec: None,
            input: Input::new(id.to_string()),
            error: None,
            touched: false,
            reveal: false,
        }];
        for spec in kind.fields() {
            let value = match values.get(spec.name) {
                Some(value) => text_of(value),
                None if editing => String::new(),
                None => spec
                    .default
                    .map(|d| text_of(&d.to_json()))
                    .unwrap_or_default(),
            };
            fields.push(Field {
                spec: Some(spec),
                input: Input::new(value),
                error: None,
                touched: false,
                reveal: false,
            });
        }
        let mut form = Form {
            kind,
            editing,
            fields,
            focus: usize::from(editing),
            status: Status::None,
        };
        for i in 0..form.fields.len() {
            form.check(i);
        }
        form
    }

    /// An empty form for a new backend of `kind`, defaults filled.
    pub fn add(kind: Kind) -> Form {
        Form::new(FormKind::Known(kind), false, "", &Map::new())
    }

    /// A form holding a saved backend's values. Keys the schema does not know are not shown;
    /// the api keeps them in the file when saving. A kind this console does not probe gets
    /// the fields every kind has (`enabled`, `poll_interval`, ...).
    pub fn edit(doc: &BackendDoc) -> Form {
        let kind = match Kind::parse(doc.kind()) {
            Ok(kind) => FormKind::Known(kind),
            Err(_) => FormKind::Other(doc.kind().to_string()),
        };
        Form::new(kind, true, &doc.id, doc.config())
    }

    pub fn title(&self) -> String {
        if self.editing {
            format!("Edit {} ({})", self.fields[0].input.value(), self.kind)
        } else {
            format!("Add {} backend", self.kind)
        }
    }

    pub fn is_editing(&self) -> bool {
        self.editing
    }

    fn check(&mut self, index: usize) {
        let editing = self.editing;
        let Some(field) = self.fields.get_mut(index) else {
            return;
        };
        let text = field.input.value();
        field.error = match field.spec {
            None if editing => None,
            None => names::check_new_backend_id(text).err().map(|e| match e {
                crate::store::StoreError::InvalidName { reason, .. } => reason,
                other => other.to_string(),
            }),
            Some(spec) if text.is_empty() => spec.required.then(|| "required".to_string()),
            Some(spec) => spec.parse(text).err(),
        };
    }

    fn buttons_start(&self) -> usize {
        self.fields.len()
    }

    fn move_focus(&mut self, forward: bool) {
        let count = self.fields.len() + BUTTONS.len();
        let first = usize::from(self.editing);
        let mut next = self.focus;
        loop {
            next = if forward {
                (next + 1) % count
            } else {
                (next + count - 1) % count
            };
            if next >= first {
                break;
            }
        }
        if let Some(field) = self.fields.get_mut(self.focus) {
            field.touched = true;
        }
        self.focus = next;
    }

    /// The config the fields describe, or the first field that is wrong and why.
    fn build(&mut self) -> Result<(String, Map<String, Value>), (usize, String)> {
        for field in &mut self.fields {
            field.touched = true;
        }
        for i in 0..self.fields.len() {
            self.check(i);
        }
        if let Some((i, field)) = self
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.error.is_some())
        {
            let reason = field.error.clone().unwrap_or_default();
            return Err((i, format!("{}: {reason}", field.name())));
        }
        let mut config = Map::new();
        config.insert("type".into(), Value::String(self.kind.name().into()));
        for field in &self.fields[1..] {
            let (Some(spec), text) = (field.spec, field.input.value()) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            match spec.parse(text) {
                Ok(value) => {
                    config.insert(spec.name.to_string(), value);
                }
                Err(reason) => return Err((0, reason)),
            }
        }
        // Rules across fields (a password needs a user, ...), shown under the field named.
        let problem = match self.kind {
            FormKind::Known(_) => backends::problems(&config).into_iter().next(),
            FormKind::Other(_) => backends::common_field_problems(&config).into_iter().next(),
        };
        if let Some(problem) = problem {
            let index = self
                .fields
                .iter()
                .position(|f| f.name() == problem.field)
                .unwrap_or(0);
            if let Some(field) = self.fields.get_mut(index) {
                field.error = Some(problem.reason.clone());
            }
            return Err((index, problem.to_string()));
        }
        Ok((self.fields[0].input.value().to_string(), config))
    }

    fn submit(&mut self, test: bool) -> FormOutcome {
        match self.build() {
            Ok((id, config)) if test => {
                let id = if id.is_empty() {
                    "(unsaved)".to_string()
                } else {
                    id
                };
                FormOutcome::Test { id, config }
            }
            Ok((id, config)) => FormOutcome::Save {
                id,
                config,
                editing: self.editing,
            },
            Err((index, message)) => {
                self.focus = index;
                self.status = Status::Error(format!("fix first: {message}"));
                FormOutcome::None
            }
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return FormOutcome::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return FormOutcome::Cancel,
            KeyCode::Char('s') if ctrl => return self.submit(false),
            KeyCode::Char('t') if ctrl => return self.submit(true),
            KeyCode::Char('r') if ctrl => return self.toggle_reveal(),
            KeyCode::F(2) => return self.toggle_reveal(),
            KeyCode::Tab | KeyCode::Down => self.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.move_focus(false),
            KeyCode::Enter => {
                if self.focus >= self.buttons_start() {
                    return match BUTTONS.get(self.focus - self.buttons_start()) {
                        Some(&"Test") => self.submit(true),
                        Some(&"Save") => self.submit(false),
                        _ => FormOutcome::Cancel,
                    };
                }
                self.move_focus(true);
            }
            KeyCode::Left | KeyCode::Right if self.focus >= self.buttons_start() => {
                let offset = self.focus - self.buttons_start();
                let offset = if key.code == KeyCode::Left {
                    offset.saturating_sub(1)
                } else {
                    (offset + 1).min(2)
                };
                self.focus = self.buttons_start() + offset;
            }
            _ => self.edit_focused(key),
        }
        FormOutcome::None
    }

    fn toggle_reveal(&mut self) -> FormOutcome {
        if let Some(field) = self.fields.get_mut(self.focus) {
            if field.is_secret() {
                field.reveal = !field.reveal;
            }
        }
        FormOutcome::None
    }

    fn edit_focused(&mut self, key: KeyEvent) {
        let editing = self.editing;
        let focus = self.focus;
        let Some(field) = self.fields.get_mut(focus) else {
            return;
        };
        if field.spec.is_none() && editing {
            self.status = Status::Error("the id cannot be changed; remove and add again".into());
            return;
        }
        if let Some(choices) = field.choices() {
            let current = choices.iter().position(|c| *c == field.input.value());
            let step: isize = match key.code {
                KeyCode::Char(' ') | KeyCode::Right => 1,
                KeyCode::Left => -1,
                _ => return,
            };
            let len = choices.len() as isize;
            let next = match current {
                Some(i) => (i as isize + step).rem_euclid(len) as usize,
                None => 0,
            };
            field.input = Input::new(choices[next].to_string());
        } else {
            field.input.handle_event(&crossterm::event::Event::Key(key));
        }
        field.touched = true;
        self.status = Status::None;
        self.check(focus);
    }

    pub fn handle_paste(&mut self, text: &str) {
        let clean: String = sanitize(text, 1000)
            .chars()
            .filter(|c| *c != '\n')
            .collect();
        let focus = self.focus;
        let editing = self.editing;
        if let Some(field) = self.fields.get_mut(focus) {
            if field.choices().is_some() || (field.spec.is_none() && editing) {
                return;
            }
            let value = format!("{}{clean}", field.input.value());
            field.input = Input::new(value);
            field.touched = true;
            self.check(focus);
        }
    }

    /// The api refused to save: say why, and under the field when the error names one here.
    pub fn set_save_error(&mut self, error: SaveError) {
        if let SaveError::Field { field, reason } = &error {
            if let Some(index) = self.fields.iter().position(|f| f.name() == field) {
                self.fields[index].error = Some(reason.clone());
                self.fields[index].touched = true;
                self.focus = index;
            }
        }
        self.status = Status::Error(error.to_string());
    }

    pub fn set_testing(&mut self) {
        self.status = Status::Testing;
    }

    pub fn set_test_result(&mut self, report: &TestReport) {
        let text = if report.ok {
            format!("test passed in {:.0} ms", report.elapsed_ms)
        } else {
            let failed = report.steps.iter().find(|s| !s.ok);
            match (
                failed,
                report
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str),
            ) {
                (Some(step), _) => format!("test failed at '{}': {}", step.name, step.detail),
                (None, Some(message)) => format!("test failed: {message}"),
                (None, None) => "test failed".into(),
            }
        };
        self.status = Status::Tested {
            ok: report.ok,
            text,
        };
    }

    /// The focused text field's value as shown (secrets masked unless revealed).
    fn shown(field: &Field, theme: &Theme) -> String {
        let value = field.input.value();
        if field.is_secret() && !field.reveal && !value.starts_with(backends::secret::ENV_PREFIX) {
            let dot = if theme.ascii { "*" } else { "•" };
            dot.repeat(value.chars().count())
        } else {
            sanitize(value, 500)
        }
    }
}

const LABEL_WIDTH: usize = 15;

impl Form {
    /// Draws the form centred over `area`, the whole screen.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_form(frame, centered(area, 84, 36), self, theme);
    }
}

/// Draws the form filling `area`.
fn draw_form(frame: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = block(format!(" {} ", form.title()), true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 || inner.width < 10 {
        return;
    }
    // Two rows per field (value, then reason or hint); the buttons and the status at the foot.
    let field_rows = inner.height.saturating_sub(2) as usize;
    let per_page = (field_rows / 2).max(1);
    let focus_field = form.focus.min(form.fields.len() - 1);
    let first = if focus_field >= per_page {
        focus_field + 1 - per_page
    } else {
        0
    };
    let value_width = (inner.width as usize)
        .saturating_sub(LABEL_WIDTH + 3)
        .max(4);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, field) in form.fields.iter().enumerate().skip(first).take(per_page) {
        let focused = i == form.focus;
        let mark = if field.required() { "*" } else { " " };
        let label_style = if focused {
            theme.accent().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        let shown = Form::shown(field, theme);
        let scroll = field.input.visual_scroll(value_width);
        let visible: String = shown.chars().skip(scroll).take(value_width).collect();
        let value_style = if focused {
            Style::default().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default()
        };
        let mut spans = vec![
            Span::styled(mark, theme.error()),
            Span::styled(
                format!("{:<width$}", field.name(), width = LABEL_WIDTH),
                label_style,
            ),
            Span::raw(" "),
            Span::styled(format!("{visible:<value_width$}"), value_style),
        ];
        if field.choices().is_some() && focused {
            spans.push(Span::styled(" ⟷", theme.dim()));
        }
        lines.push(Line::from(spans));
        if focused && field.choices().is_none() {
            let x = inner.x
                + (LABEL_WIDTH + 2) as u16
                + (field.input.visual_cursor().saturating_sub(scroll)) as u16;
            cursor = Some((
                x.min(inner.right().saturating_sub(1)),
                inner.y + (lines.len() - 1) as u16,
            ));
        }
        let below = match (
            &field.error,
            field.touched || !field.input.value().is_empty(),
        ) {
            (Some(error), true) => Span::styled(
                format!("{:<w$}{}", "", sanitize(error, 200), w = LABEL_WIDTH + 2),
                theme.error(),
            ),
            _ => {
                let mut hint = field
                    .spec
                    .map(|s| s.help)
                    .unwrap_or("letters, digits, . _ - (the file name)")
                    .to_string();
                if field.is_secret() {
                    hint.push_str(" · secret: C-r reveals · env:NAME reads a variable");
                }
                if field.spec.is_none() && form.editing {
                    hint = "cannot be changed".into();
                }
                Span::styled(
                    format!("{:<w$}{}", "", hint, w = LABEL_WIDTH + 2),
                    theme.dim(),
                )
            }
        };
        lines.push(Line::from(below));
    }
    while lines.len() < field_rows {
        lines.push(Line::from(""));
    }
    let more = form.fields.len() > first + per_page;
    let mut buttons = vec![Span::styled(
        if more {
            "  ↓ more fields   "
        } else {
            "                  "
        },
        theme.dim(),
    )];
    for (i, name) in BUTTONS.iter().enumerate() {
        let style = if form.focus == form.buttons_start() + i {
            theme.selected()
        } else {
            theme.key()
        };
        buttons.push(Span::styled(format!("[ {name} ]"), style));
        buttons.push(Span::raw("  "));
    }
    lines.push(Line::from(buttons));
    lines.push(match &form.status {
        Status::None => Line::from(Span::styled(
            "Tab next · C-s save · C-t test · Esc cancel",
            theme.dim(),
        )),
        Status::Error(message) => Line::from(Span::styled(sanitize(message, 300), theme.error())),
        Status::Testing => Line::from(Span::styled("testing the unsaved config…", theme.accent())),
        Status::Tested { ok: true, text } => Line::from(Span::styled(
            sanitize(text, 300),
            theme.health(crate::stats::HealthStatus::Healthy),
        )),
        Status::Tested { ok: false, text } => {
            Line::from(Span::styled(sanitize(text, 300), theme.error()))
        }
    });
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use serde_json::json;

    fn press(form: &mut Form, code: KeyCode) -> FormOutcome {
        form.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(form: &mut Form, c: char) -> FormOutcome {
        form.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    fn type_text(form: &mut Form, text: &str) {
        for c in text.chars() {
            press(form, KeyCode::Char(c));
        }
    }

    fn render(form: &Form, w: u16, h: u16, theme: Theme) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| draw_form(f, f.area(), form, &theme))
            .unwrap();
        terminal
    }

    #[test]
    fn add_local_gives_the_exact_config() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "scratch");
        press(&mut form, KeyCode::Tab);
        type_text(&mut form, "/srv/data");
        let outcome = ctrl(&mut form, 's');
        let FormOutcome::Save {
            id,
            config,
            editing,
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(id, "scratch");
        assert!(!editing);
        assert_eq!(
            Value::Object(config),
            json!({"type": "local", "path": "/srv/data", "max_files": 100000, "enabled": true})
        );
    }

    #[test]
    fn bad_url_is_explained_and_save_refused() {
        let mut form = Form::add(Kind::Ipfs);
        type_text(&mut form, "kubo");
        press(&mut form, KeyCode::Tab);
        // The default URL is filled in: clear it and type a bad one.
        for _ in 0..40 {
            press(&mut form, KeyCode::Backspace);
        }
        type_text(&mut form, "localhost:5001");
        // `localhost:5001` parses as a URL of scheme "localhost": refused for its scheme.
        assert!(
            form.fields[1]
                .error
                .as_deref()
                .unwrap()
                .contains("must be http"),
            "{:?}",
            form.fields[1].error
        );
        assert_eq!(ctrl(&mut form, 's'), FormOutcome::None);
        assert_eq!(form.focus, 1);
        let text = format!(
            "{}",
            render(&form, 80, 24, Theme::new(ColorDepth::None, false)).backend()
        );
        assert!(text.contains("must be http"), "{text}");
    }

    #[test]
    fn required_empty_field_is_refused() {
        let mut form = Form::add(Kind::S3);
        type_text(&mut form, "media");
        assert_eq!(ctrl(&mut form, 's'), FormOutcome::None);
        assert_eq!(form.fields[form.focus].name(), "endpoint");
        assert!(matches!(&form.status, Status::Error(m) if m.contains("endpoint: required")));
    }

    #[test]
    fn secrets_are_masked_until_revealed() {
        let mut form = Form::add(Kind::S3);
        let secret_index = form
            .fields
            .iter()
            .position(|f| f.name() == "secret_key")
            .unwrap();
        form.focus = secret_index;
        type_text(&mut form, "TOPSECRETVALUE");
        let theme = Theme::new(ColorDepth::None, false);
        let text = format!("{}", render(&form, 100, 40, theme).backend());
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(text.contains("••••••••••••••"));
        ctrl(&mut form, 'r');
        let text = format!("{}", render(&form, 100, 40, theme).backend());
        assert!(text.contains("TOPSECRETVALUE"));
    }

    #[test]
    fn editing_returns_known_fields_only_with_the_change() {
        let doc = BackendDoc {
            id: "kubo".into(),
            path: "/x/kubo.json".into(),
            doc: json!({"id": "kubo", "config": {"type": "ipfs", "api_url": "http://127.0.0.1:5001", "enabled": true, "python_key": 1}})
                .as_object()
                .unwrap()
                .clone(),
        };
        let mut form = Form::edit(&doc);
        assert_eq!(form.focus, 1, "the id is skipped");
        type_text(&mut form, "x");
        assert_eq!(press(&mut form, KeyCode::Char('z')), FormOutcome::None);
        for _ in 0..3 {
            press(&mut form, KeyCode::Backspace);
        }
        type_text(&mut form, "2");
        let FormOutcome::Save {
            id,
            config,
            editing,
        } = ctrl(&mut form, 's')
        else {
            panic!()
        };
        assert!(editing);
        assert_eq!(id, "kubo");
        assert_eq!(
            Value::Object(config),
            json!({"type": "ipfs", "api_url": "http://127.0.0.1:5002", "enabled": true})
        );
    }

    #[test]
    fn esc_cancels_and_tab_reaches_the_buttons() {
        let mut form = Form::add(Kind::Local);
        let count = form.fields.len();
        for _ in 0..count {
            press(&mut form, KeyCode::Tab);
        }
        assert_eq!(form.focus, form.buttons_start(), "Test");
        press(&mut form, KeyCode::Right);
        press(&mut form, KeyCode::Right);
        assert_eq!(press(&mut form, KeyCode::Enter), FormOutcome::Cancel);
        assert_eq!(
            press(&mut Form::add(Kind::Local), KeyCode::Esc),
            FormOutcome::Cancel
        );
    }

    #[test]
    fn test_button_sends_the_unsaved_config() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "t1");
        press(&mut form, KeyCode::Tab);
        type_text(&mut form, "/tmp");
        let FormOutcome::Test { id, config } = ctrl(&mut form, 't') else {
            panic!()
        };
        assert_eq!(id, "t1");
        assert_eq!(config["path"], "/tmp");
    }

    #[test]
    fn cross_field_rules_land_under_the_field() {
        let mut form = Form::add(Kind::IpfsCluster);
        type_text(&mut form, "c");
        let password = form
            .fields
            .iter()
            .position(|f| f.name() == "password")
            .unwrap();
        form.focus = password;
        type_text(&mut form, "pw");
        assert_eq!(ctrl(&mut form, 's'), FormOutcome::None);
        assert_eq!(form.fields[form.focus].name(), "password");
        assert!(form.fields[password]
            .error
            .as_deref()
            .unwrap()
            .contains("needs 'user'"));
    }

    #[test]
    fn a_refused_save_names_the_field_under_it() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "scratch");
        form.set_save_error(SaveError::Field {
            field: "path".into(),
            reason: "is not a directory".into(),
        });
        let path = form.fields.iter().position(|f| f.name() == "path").unwrap();
        assert_eq!(form.focus, path);
        assert_eq!(
            form.fields[path].error.as_deref(),
            Some("is not a directory")
        );
        assert_eq!(
            form.status,
            Status::Error("field 'path': is not a directory".into())
        );
        // Anything else is said in the status line only.
        form.set_save_error(SaveError::Other("backend 'scratch' already exists".into()));
        assert_eq!(form.focus, path);
        assert_eq!(
            form.status,
            Status::Error("backend 'scratch' already exists".into())
        );
    }

    #[test]
    fn choices_cycle_with_space() {
        let mut form = Form::add(Kind::HuggingFace);
        let index = form
            .fields
            .iter()
            .position(|f| f.name() == "repo_type")
            .unwrap();
        form.focus = index;
        press(&mut form, KeyCode::Char(' '));
        assert_eq!(form.fields[index].input.value(), "dataset");
        press(&mut form, KeyCode::Left);
        press(&mut form, KeyCode::Left);
        assert_eq!(form.fields[index].input.value(), "space");
    }

    #[test]
    fn error_lines_are_red_when_colour_is_on() {
        let mut form = Form::add(Kind::Ipfs);
        type_text(&mut form, "bad id!");
        let terminal = render(&form, 80, 24, Theme::new(ColorDepth::Basic16, false));
        assert_eq!(
            crate::tui::test_support::fg_of(terminal.backend().buffer(), "character"),
            Some(ratatui::style::Color::Red),
            "the reason is on screen, in red"
        );
    }

    #[test]
    fn snapshots() {
        let theme = Theme::new(ColorDepth::None, false);
        let mut form = Form::add(Kind::S3);
        type_text(&mut form, "garage-media");
        press(&mut form, KeyCode::Tab);
        type_text(&mut form, "not a url");
        press(&mut form, KeyCode::Tab);
        ctrl(&mut form, 's');
        for (w, h) in [(84, 36), (80, 24), (40, 12)] {
            // Named as when this file was `tui/form.rs`.
            super::super::kept_snapshot_settings().bind(|| {
                insta::assert_snapshot!(
                    format!("ipfs_kit_tui__tui__form__tests__form_s3_errors_{w}x{h}"),
                    render(&form, w, h, theme).backend()
                );
            });
        }
    }
}
