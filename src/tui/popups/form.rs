//! The form to add, edit or clone a backend (after the kind chooser, `chooser.rs`, when adding):
//! the kind's fields from its schema — required ones marked, defaults filled, checked as you
//! type with the reason under the field, sizes typed with units (`10GiB`), secrets masked with
//! a reveal toggle, a warning under a path that does not exist yet (looked at off the UI loop),
//! Test (probes the unsaved config; its steps shown over the form) and Save; Esc on a changed
//! form asks before the edits are lost. State, keys, hints and drawing here; drawing is pure.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use serde_json::{Map, Value};
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::confirm::{Confirm, ConfirmOutcome};
use super::shared::Shown;
use super::test_result::{self, TestResult};
use crate::backends::{self, FieldSpec, FieldType, Kind};
use crate::probe::TestReport;
use crate::store::{names, BackendDoc};
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;

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
    /// Said under the field without refusing the value (a path that does not exist yet).
    warning: Option<String>,
    /// The value last sent to be looked at on disk (path fields), so each is asked once.
    stat_asked: Option<String>,
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
    /// A path on this machine, looked at on disk once typed (`Form::paths_to_check`).
    fn is_path(&self) -> bool {
        self.spec.is_some_and(|s| s.ty == FieldType::AbsPath)
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
    Tested {
        ok: bool,
        text: String,
    },
    /// Something to know that is not a problem (what a clone did not copy).
    Note(String),
}

/// What a look at a path field's value on disk found (`Cmd::CheckPath`, done off the UI loop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathState {
    Directory,
    Missing,
    NotADirectory,
    /// It could not be looked at (permissions, I/O): the reason.
    Unreadable(String),
}

impl PathState {
    /// The warning under the field. The `local` kind never creates its directory: a missing
    /// one makes the backend down (its pulse stats the directory) until someone creates it.
    fn warning(&self) -> Option<String> {
        match self {
            PathState::Directory => None,
            PathState::Missing => {
                Some("does not exist yet: nothing creates it; down until it exists".into())
            }
            PathState::NotADirectory => Some("is not a directory: down until it is one".into()),
            PathState::Unreadable(reason) => {
                Some(format!("cannot be looked at: {}", sanitize(reason, 120)))
            }
        }
    }
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
    /// The values as the form opened (the id first): leaving a changed form asks first.
    opened_with: Vec<String>,
    /// Open while asking whether to discard the edits (over the form).
    discard: Option<Confirm>,
    /// The last Test's steps, shown over the form until closed.
    steps: Option<TestResult>,
    /// The backend this new one's values were copied from (`c`, `:clone`).
    cloned_from: Option<String>,
}

impl Field {
    /// A field holding `value`, as a form opens it: unchecked, unwarned, masked.
    fn new(spec: Option<&'static FieldSpec>, value: String) -> Field {
        Field {
            spec,
            input: Input::new(value),
            error: None,
            touched: false,
            reveal: false,
            warning: None,
            stat_asked: None,
        }
    }
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
        let mut fields = vec![Field::new(None, id.to_string())];
        for spec in kind.fields() {
            let value = match values.get(spec.name) {
                Some(value) => text_of(value),
                None if editing => String::new(),
                None => spec
                    .default
                    .map(|d| text_of(&d.to_json()))
                    .unwrap_or_default(),
            };
            fields.push(Field::new(Some(spec), value));
        }
        let opened_with = fields.iter().map(|f| f.input.value().to_string()).collect();
        let mut form = Form {
            kind,
            editing,
            fields,
            focus: usize::from(editing),
            status: Status::None,
            opened_with,
            discard: None,
            steps: None,
            cloned_from: None,
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

    /// A form for a new backend holding `doc`'s values (`c`, `:clone ID`), to be saved under
    /// `id` (empty: the operator types one): the backend it came from is untouched. Keys the
    /// form does not show are not copied, and the status line says which. A kind this console
    /// does not add cannot be cloned: the reason.
    pub fn clone_of(doc: &BackendDoc, id: &str) -> Result<Form, String> {
        let kind = Kind::parse(doc.kind()).map_err(|_| {
            format!(
                "cannot clone '{}': its kind '{}' is not one this console adds",
                sanitize(&doc.id, 64),
                sanitize(doc.kind(), 30)
            )
        })?;
        let mut form = Form::new(FormKind::Known(kind), false, id, doc.config());
        form.cloned_from = Some(doc.id.clone());
        let left_out: Vec<String> = doc
            .config()
            .keys()
            .filter(|key| *key != "type" && kind.field(key).is_none())
            .map(|key| sanitize(key, 40))
            .collect();
        if !left_out.is_empty() {
            form.status = Status::Note(format!(
                "not copied (not in this form): {}",
                left_out.join(", ")
            ));
        }
        Ok(form)
    }

    pub fn title(&self) -> String {
        match (&self.cloned_from, self.editing) {
            (_, true) => format!("Edit {} ({})", self.fields[0].input.value(), self.kind),
            (Some(from), false) => {
                format!(
                    "Clone {} as a new {} backend",
                    crate::text::sanitize(from, 64),
                    self.kind
                )
            }
            (None, false) => format!("Add {} backend", self.kind),
        }
    }

    /// The footer's hints: the question's or the steps' while one is open over the form.
    pub fn hints(&self) -> &'static [Hint] {
        match (&self.discard, &self.steps) {
            (Some(question), _) => question.hints(),
            (None, Some(_)) => test_result::HINTS,
            (None, None) => HINTS,
        }
    }

    /// Whether a value differs from what the form opened with.
    fn is_changed(&self) -> bool {
        self.fields
            .iter()
            .map(|f| f.input.value())
            .ne(self.opened_with.iter().map(String::as_str))
    }

    /// Esc, Ctrl-C, Cancel: a changed form asks first (No keeps it); an unchanged one closes.
    fn leave(&mut self) -> FormOutcome {
        if !self.is_changed() {
            return FormOutcome::Cancel;
        }
        let id = if self.editing {
            self.fields[0].input.value()
        } else {
            ""
        };
        self.discard = Some(Confirm::discard(id));
        FormOutcome::None
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
        // What was said about another value on disk is not about this one.
        if field.stat_asked.as_deref() != Some(text) {
            field.stat_asked = None;
            field.warning = None;
        }
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
        // A question or the test's steps over the form take the keys until closed.
        if let Some(question) = &self.discard {
            match question.handle_key(key) {
                ConfirmOutcome::Open => {}
                ConfirmOutcome::Discard => return FormOutcome::Cancel,
                // No, Esc, Ctrl-C: back to the form, its values as they were.
                _ => self.discard = None,
            }
            return FormOutcome::None;
        }
        if let Some(steps) = &self.steps {
            if steps.handle_key(key) == Shown::Close {
                self.steps = None;
            }
            return FormOutcome::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return self.leave(),
            KeyCode::Char('c') if ctrl => return self.leave(),
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
                        _ => self.leave(),
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
        if self.discard.is_some() || self.steps.is_some() {
            return;
        }
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

    /// A Test of the form's values finished: the verdict in the status line, every step in a
    /// popup over the form (closing it returns to the form).
    pub fn set_test_result(&mut self, report: Box<TestReport>) {
        let text = if report.ok {
            format!("test passed in {:.0} ms", report.elapsed_ms)
        } else {
            let failed = report.steps.iter().find(|s| !s.ok);
            match (failed, report.error.as_ref().map(|e| e.message.as_str())) {
                (Some(step), _) => format!("test failed at '{}': {}", step.name, step.detail),
                (None, Some(message)) => format!("test failed: {message}"),
                (None, None) => "test failed".into(),
            }
        };
        self.status = Status::Tested {
            ok: report.ok,
            text,
        };
        self.steps = Some(TestResult::new(report));
    }

    /// Path fields to look at on disk: each valid value once, after the operator left the
    /// field (not at every key). The runtime does the stat off the UI loop (`Cmd::CheckPath`):
    /// a stat is cheap, but on a hung network mount it blocks, and the screen must not.
    pub fn paths_to_check(&mut self) -> Vec<String> {
        let focus = self.focus;
        let mut paths = Vec::new();
        for (index, field) in self.fields.iter_mut().enumerate() {
            let value = field.input.value();
            let ready = field.is_path() && index != focus && field.error.is_none();
            if ready && !value.is_empty() && field.stat_asked.as_deref() != Some(value) {
                field.stat_asked = Some(value.to_string());
                paths.push(value.to_string());
            }
        }
        paths
    }

    /// What the look at `path` found: a warning under the fields that still hold it. It never
    /// refuses the value: the directory may be made after the backend is added.
    pub fn path_checked(&mut self, path: &str, state: &PathState) {
        for field in &mut self.fields {
            if field.is_path() && field.input.value() == path {
                field.warning = state.warning();
            }
        }
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

/// An id for a clone of `original` that no backend has (`taken` says which do): `ID-2`, or the
/// next number when `original` already ends in one (`media-2` gives `media-3`). Empty when
/// none is a valid new id (an old id too long or with other characters): the operator types one.
pub fn free_clone_id(original: &str, taken: impl Fn(&str) -> bool) -> String {
    let numbered = original
        .rsplit_once('-')
        .filter(|(stem, n)| {
            !stem.is_empty() && (1..10).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|(stem, n)| Some((stem, n.parse::<u64>().ok()? + 1)));
    let (stem, first) = numbered.unwrap_or((original, 2));
    (first..first + 1_000)
        .map(|n| format!("{stem}-{n}"))
        .take_while(|id| names::check_new_backend_id(id).is_ok())
        .find(|id| !taken(id))
        .unwrap_or_default()
}

/// The narrowest and widest the names' column is: as wide as the longest name within them.
const LABEL_WIDTH: usize = 15;
const LABEL_WIDTH_MAX: usize = 24;

impl Form {
    /// Draws the form centred over `area`, the whole screen, and what is open over it.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_form(frame, centered(area, 84, 36), self, theme);
        if let Some(steps) = &self.steps {
            steps.draw(frame, area, theme);
        }
        if let Some(question) = &self.discard {
            question.draw(frame, area, theme);
        }
    }
}

/// Draws the form filling `area`.
fn draw_form(frame: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    frame.render_widget(Clear, area);
    // The title names the backend: cut, it ends with an ellipsis.
    let title = crate::tui::widgets::fit(
        &form.title(),
        usize::from(area.width).saturating_sub(4),
        theme,
    );
    let block = block(format!(" {title} "), true, theme);
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
    // Values line up after the longest name; the reasons and hints below them keep the
    // narrow indent, so that a long name does not cut every hint short.
    let label_width = form
        .fields
        .iter()
        .map(|f| f.name().chars().count())
        .max()
        .unwrap_or(0)
        .clamp(LABEL_WIDTH, LABEL_WIDTH_MAX);
    let value_width = (inner.width as usize)
        .saturating_sub(label_width + 3)
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
                format!("{:<width$}", field.name(), width = label_width),
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
                + (label_width + 2) as u16
                + (field.input.visual_cursor().saturating_sub(scroll)) as u16;
            cursor = Some((
                x.min(inner.right().saturating_sub(1)),
                inner.y + (lines.len() - 1) as u16,
            ));
        }
        let below = match (
            &field.error,
            field.touched || !field.input.value().is_empty(),
            &field.warning,
        ) {
            (Some(error), true, _) => Span::styled(
                format!("{:<w$}{}", "", sanitize(error, 200), w = LABEL_WIDTH + 2),
                theme.error(),
            ),
            (None, _, Some(warning)) => Span::styled(
                format!("{:<w$}{}", "", sanitize(warning, 200), w = LABEL_WIDTH + 2),
                theme.warning(),
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
                // A size as typed, read back in one unit: `10GiB` is what was meant.
                let size = field
                    .spec
                    .filter(|s| matches!(s.ty, FieldType::Bytes { .. }))
                    .and_then(|s| s.parse(field.input.value()).ok())
                    .and_then(|value| value.as_u64());
                if let Some(bytes) = size {
                    hint = format!("= {} · {hint}", crate::text::bytes(bytes));
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
        Status::Note(text) => Line::from(Span::styled(sanitize(text, 300), theme.dim())),
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

    fn field_index(form: &Form, name: &str) -> usize {
        form.fields.iter().position(|f| f.name() == name).unwrap()
    }

    fn screen(form: &Form, w: u16, h: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let theme = Theme::new(ColorDepth::None, false);
        terminal.draw(|f| form.draw(f, f.area(), &theme)).unwrap();
        format!("{}", terminal.backend())
    }

    /// An s3 form with every required field filled.
    fn s3_form() -> Form {
        let mut form = Form::add(Kind::S3);
        type_text(&mut form, "media");
        for (name, value) in [
            ("endpoint", "http://127.0.0.1:3900"),
            ("bucket", "media"),
            ("access_key", "GK1"),
            ("secret_key", "s"),
        ] {
            form.focus = field_index(&form, name);
            type_text(&mut form, value);
        }
        form
    }

    #[test]
    fn sizes_are_typed_with_units_and_saved_as_bytes() {
        let mut form = s3_form();
        let quota = field_index(&form, "quota_bytes");
        form.focus = quota;
        type_text(&mut form, "10GiB");
        assert_eq!(form.fields[quota].error, None);
        assert!(screen(&form, 100, 40).contains("= 10 GiB"), "read back");
        let FormOutcome::Save { config, .. } = ctrl(&mut form, 's') else {
            panic!("{:?}", form.status)
        };
        assert_eq!(config["quota_bytes"], json!(10_737_418_240u64));
        for _ in 0..5 {
            press(&mut form, KeyCode::Backspace);
        }
        type_text(&mut form, "1.5 TB");
        let FormOutcome::Save { config, .. } = ctrl(&mut form, 's') else {
            panic!("{:?}", form.status)
        };
        assert_eq!(config["quota_bytes"], json!(1_500_000_000_000u64));
        for _ in 0..6 {
            press(&mut form, KeyCode::Backspace);
        }
        type_text(&mut form, "10XB");
        let reason = form.fields[quota].error.clone().unwrap();
        assert!(reason.starts_with("unknown unit 'XB'"), "{reason}");
        assert!(
            reason.contains("KiB") && reason.contains("10GiB"),
            "{reason}"
        );
        assert_eq!(ctrl(&mut form, 's'), FormOutcome::None, "refused");
        assert!(
            matches!(&form.status, Status::Error(m) if m.starts_with("fix first: quota_bytes: unknown unit")),
            "{:?}",
            form.status
        );
    }

    #[test]
    fn esc_on_a_changed_form_asks_first_and_no_keeps_the_values() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "scratch");
        assert_eq!(press(&mut form, KeyCode::Esc), FormOutcome::None);
        assert!(form.discard.is_some());
        assert_eq!(form.hints(), super::super::confirm::DISCARD_HINTS);
        assert!(screen(&form, 80, 24).contains("Discard changes to the new backend?"));
        // Keys go to the question: typing is not editing meanwhile.
        assert_eq!(press(&mut form, KeyCode::Char('z')), FormOutcome::None);
        assert_eq!(press(&mut form, KeyCode::Enter), FormOutcome::None, "No");
        assert!(form.discard.is_none());
        assert_eq!(form.fields[0].input.value(), "scratch", "values kept");
        assert_eq!(form.hints(), HINTS);
        // Ctrl-C and the Cancel button ask too; y discards.
        assert_eq!(ctrl(&mut form, 'c'), FormOutcome::None);
        assert_eq!(press(&mut form, KeyCode::Char('y')), FormOutcome::Cancel);
        form.discard = None;
        form.focus = form.buttons_start() + 2;
        assert_eq!(press(&mut form, KeyCode::Enter), FormOutcome::None);
        assert!(form.discard.is_some());
        // Unchanged (also when changed back) closes at once.
        assert_eq!(
            press(&mut Form::add(Kind::Local), KeyCode::Esc),
            FormOutcome::Cancel
        );
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "x");
        press(&mut form, KeyCode::Backspace);
        assert_eq!(press(&mut form, KeyCode::Esc), FormOutcome::Cancel);
    }

    #[test]
    fn an_edit_form_asks_before_discarding_naming_the_backend() {
        let mut form = Form::edit(&doc(
            "kubo",
            json!({"type": "ipfs", "api_url": "http://127.0.0.1:5001"}),
        ));
        type_text(&mut form, "2");
        assert_eq!(press(&mut form, KeyCode::Esc), FormOutcome::None);
        assert!(screen(&form, 80, 24).contains("Discard changes to 'kubo'?"));
    }

    fn report(ok: bool) -> Box<TestReport> {
        let step = |name: &str, ok, detail: &str, elapsed_ms| crate::probe::TestStep {
            name: name.into(),
            ok,
            detail: detail.into(),
            elapsed_ms,
        };
        Box::new(TestReport {
            id: "scratch".into(),
            kind: "local".into(),
            ok,
            steps: vec![
                step("reachable: directory exists", true, "/srv/data", 0.4),
                step("read: list the directory", ok, "permission denied", 1.2),
            ],
            error: None,
            checked_at: "2026-11-18T12:00:00Z".into(),
            elapsed_ms: 2.0,
            cached: false,
        })
    }

    #[test]
    fn the_tests_steps_are_shown_over_the_form_and_closing_returns_to_it() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "scratch");
        form.set_testing();
        form.set_test_result(report(false));
        assert_eq!(form.hints(), test_result::HINTS);
        let text = screen(&form, 80, 24);
        assert!(text.contains("FAIL scratch"), "{text}");
        assert!(text.contains("PASS reachable: directory exists"), "{text}");
        assert!(text.contains("FAIL read: list the directory"), "{text}");
        assert!(text.contains("permission denied"), "{text}");
        // Step times as the rest of the console says them: a 0.4 ms step is not "0 ms".
        assert!(text.contains("0.4 ms") && text.contains("1.2 ms"), "{text}");
        // Keys go to the popup until it closes; the form is as it was.
        assert_eq!(press(&mut form, KeyCode::Char('x')), FormOutcome::None);
        assert_eq!(press(&mut form, KeyCode::Esc), FormOutcome::None);
        assert!(form.steps.is_none());
        assert_eq!(form.fields[0].input.value(), "scratch");
        assert!(
            matches!(&form.status, Status::Tested { ok: false, text } if text.contains("read: list")),
            "the verdict stays in the status line"
        );
        assert!(!screen(&form, 80, 24).contains("PASS reachable"));
    }

    #[test]
    fn a_missing_path_is_warned_about_and_saving_is_not_refused() {
        let mut form = Form::add(Kind::Local);
        type_text(&mut form, "scratch");
        press(&mut form, KeyCode::Tab);
        type_text(&mut form, "/srv/new");
        assert!(form.paths_to_check().is_empty(), "not while it is typed");
        press(&mut form, KeyCode::Tab);
        assert_eq!(form.paths_to_check(), ["/srv/new"]);
        assert!(form.paths_to_check().is_empty(), "asked once");
        form.path_checked("/srv/new", &PathState::Missing);
        let path = field_index(&form, "path");
        let warning = form.fields[path].warning.clone().unwrap();
        assert!(warning.starts_with("does not exist yet"), "{warning}");
        assert!(screen(&form, 80, 24).contains("does not exist yet"));
        let FormOutcome::Save { config, .. } = ctrl(&mut form, 's') else {
            panic!("{:?}", form.status)
        };
        assert_eq!(config["path"], "/srv/new");
        // Another value: the warning is not about it; an answer about the old one is dropped.
        form.focus = path;
        type_text(&mut form, "2");
        assert_eq!(form.fields[path].warning, None);
        form.path_checked("/srv/new", &PathState::Missing);
        assert_eq!(form.fields[path].warning, None);
        press(&mut form, KeyCode::Tab);
        assert_eq!(form.paths_to_check(), ["/srv/new2"]);
        form.path_checked("/srv/new2", &PathState::Directory);
        assert_eq!(form.fields[path].warning, None);
        form.path_checked("/srv/new2", &PathState::NotADirectory);
        assert!(form.fields[path]
            .warning
            .as_deref()
            .unwrap()
            .contains("not a directory"));
        // A relative path is refused, not looked at.
        form.focus = path;
        for _ in 0..9 {
            press(&mut form, KeyCode::Backspace);
        }
        type_text(&mut form, "rel");
        press(&mut form, KeyCode::Tab);
        assert!(form.paths_to_check().is_empty());
    }

    fn doc(id: &str, config: Value) -> BackendDoc {
        BackendDoc {
            id: id.into(),
            path: format!("/x/{id}.json").into(),
            doc: json!({"id": id, "config": config})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    #[test]
    fn a_clone_holds_the_values_and_saves_as_a_new_backend() {
        let original = doc(
            "garage-media",
            json!({"type": "s3", "endpoint": "http://127.0.0.1:3900", "bucket": "media",
                   "access_key": "GK1", "secret_key": "env:S3_SECRET", "path_style": true,
                   "quota_bytes": 1000, "enabled": false, "python_key": 1}),
        );
        let mut form = Form::clone_of(&original, "garage-media-2").unwrap();
        assert_eq!(form.title(), "Clone garage-media as a new s3 backend");
        assert_eq!(form.focus, 0, "the id first: it may be changed");
        assert!(
            matches!(&form.status, Status::Note(note) if note.ends_with("python_key")),
            "{:?}",
            form.status
        );
        assert_eq!(
            press(&mut form, KeyCode::Esc),
            FormOutcome::Cancel,
            "unchanged"
        );
        let FormOutcome::Save {
            id,
            config,
            editing,
        } = ctrl(&mut form, 's')
        else {
            panic!("{:?}", form.status)
        };
        assert_eq!((id.as_str(), editing), ("garage-media-2", false));
        assert_eq!(
            Value::Object(config),
            json!({"type": "s3", "endpoint": "http://127.0.0.1:3900", "region": "us-east-1",
                   "bucket": "media", "access_key": "GK1", "secret_key": "env:S3_SECRET",
                   "path_style": true, "quota_bytes": 1000, "enabled": false})
        );
        let unknown = doc("py", json!({"type": "ipfs_kit_special"}));
        assert!(Form::clone_of(&unknown, "py-2")
            .unwrap_err()
            .contains("not one this console adds"));
    }

    #[test]
    fn a_clone_gets_the_next_free_id() {
        let taken = ["media", "media-2", "media-3", "logs-9"];
        let taken = |id: &str| taken.contains(&id);
        assert_eq!(free_clone_id("media", taken), "media-4");
        assert_eq!(free_clone_id("logs-9", taken), "logs-10");
        assert_eq!(free_clone_id("kubo", taken), "kubo-2");
        assert_eq!(free_clone_id("a-b", taken), "a-b-2");
        assert_eq!(
            free_clone_id(&"x".repeat(64), taken),
            "",
            "too long for an id"
        );
        assert_eq!(free_clone_id("odd name", taken), "", "not a valid new id");
    }

    #[test]
    fn warning_and_steps_snapshots() {
        let mut warned = Form::add(Kind::Local);
        type_text(&mut warned, "scratch");
        press(&mut warned, KeyCode::Tab);
        type_text(&mut warned, "/srv/ipfs-kit/new");
        press(&mut warned, KeyCode::Tab);
        let paths = warned.paths_to_check();
        warned.path_checked(&paths[0], &PathState::Missing);
        let mut tested = Form::add(Kind::Local);
        type_text(&mut tested, "scratch");
        tested.set_test_result(report(false));
        for (w, h) in [(80, 24), (40, 12)] {
            insta::assert_snapshot!(format!("form_path_warning_{w}x{h}"), screen(&warned, w, h));
            insta::assert_snapshot!(format!("form_test_steps_{w}x{h}"), screen(&tested, w, h));
        }
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
            super::super::shared::kept_snapshot_settings().bind(|| {
                insta::assert_snapshot!(
                    format!("ipfs_kit_tui__tui__form__tests__form_s3_errors_{w}x{h}"),
                    render(&form, w, h, theme).backend()
                );
            });
        }
    }
}
