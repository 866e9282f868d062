//! Rendering: effective values → config files, through minijinja.
//!
//! One minijinja environment per run: strict undefined (a typo in a template is an error,
//! never an empty string), trailing newline kept, `trim_blocks`/`lstrip_blocks` on, templates
//! served only from the set loaded out of the templates directory (so no name — `..`,
//! absolute, symlink — can reach another file), and fuel, recursion and output-size limits
//! so a runaway template ends with a finding. Renders run in parallel; the output order is
//! the input order, whatever the thread count.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Serde};
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value as JValue, context};
use rayon::prelude::*;

use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::RenderSpec;
use crate::repo::Repository;
use crate::resolve::Resolved;

/// Instruction budget for one rendered file.
pub const FUEL: u64 = 2_000_000;
/// Deepest template recursion (macros, includes).
pub const RECURSION_LIMIT: usize = 64;
/// Largest rendered file, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// One rendered file.
#[derive(Clone, Debug)]
pub struct RenderedFile {
    /// Environment name.
    pub environment: String,
    /// Baseline name.
    pub baseline: String,
    /// Path under the environment's output directory.
    pub target: String,
    /// Repository-relative path (`output/target`).
    pub path: String,
    /// Rendered text.
    pub contents: String,
}

/// Builds the template engine over the repository's templates.
fn engine(repo: &Repository) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_debug(true);
    env.set_auto_reload(false);
    // Config files are not HTML or JSON documents to escape into: `"{{ v }}"` in a
    // `daemon.json.j2` must render the value, not a JSON-quoted string. Templates quote
    // explicitly (`tojson`) where they need to.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    let templates: Arc<BTreeMap<String, String>> = Arc::new(
        repo.templates
            .iter()
            .map(|(name, file)| (name.clone(), repo.sources.get(*file).text.to_string()))
            .collect(),
    );
    env.set_loader(move |name| Ok(templates.get(name).cloned()));
    env
}

/// Renders every (environment, baseline) pair in `resolved` whose baseline renders and whose
/// environment uses it, optionally only for environments in `only`.
pub fn render_all(
    repo: &Repository,
    resolved: &[Resolved],
    only: Option<&[String]>,
) -> (Vec<RenderedFile>, Vec<Finding>) {
    let engine = engine(repo);
    let jobs: Vec<(&Resolved, &RenderSpec)> = resolved
        .iter()
        .filter_map(|r| {
            let env = &repo.environments[r.environment];
            let baseline = &repo.baselines[r.baseline];
            let spec = baseline.render.as_ref()?;
            (env.renders(baseline.name())
                && repo.templates.contains_key(&spec.template)
                && only.is_none_or(|names| names.iter().any(|n| n == env.name())))
            .then_some((r, spec))
        })
        .collect();
    let defaults: Vec<Defaults> = repo
        .baselines
        .iter()
        .map(|b| {
            Arc::new(
                b.settings
                    .iter()
                    .map(|(name, s)| (name.clone(), JValue::from(Serde(&s.value))))
                    .collect(),
            )
        })
        .collect();
    let results: Vec<Result<RenderedFile, Box<Finding>>> = jobs
        .par_iter()
        .map(|(job, spec)| render_one(repo, &engine, &defaults, job, spec))
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut findings = Vec::new();
    for result in results {
        match result {
            Ok(file) => files.push(file),
            Err(finding) => findings.push(*finding),
        }
    }
    (files, findings)
}

fn render_one(
    repo: &Repository,
    engine: &Environment<'static>,
    defaults: &[Defaults],
    job: &Resolved,
    spec: &RenderSpec,
) -> Result<RenderedFile, Box<Finding>> {
    let env = &repo.environments[job.environment];
    let baseline = &repo.baselines[job.baseline];
    let ctx = context! {
        settings => JValue::from_object(SettingsObject {
            defaults: Arc::clone(&defaults[job.baseline]),
            overrides: job
                .overrides
                .iter()
                .map(|(name, value)| (name.clone(), JValue::from(Serde(value))))
                .collect(),
        }),
        vars => JValue::from(minijinja::value::Serde(&env.vars)),
        environment => context! { name => env.name(), output => env.output.as_str() },
        baseline => context! {
            name => baseline.name(),
            version => baseline.metadata.version.as_deref(),
            owner => baseline.metadata.owner.as_deref(),
        },
    };
    let mut out = CappedWriter::default();
    let result = engine
        .get_template(&spec.template)
        .and_then(|t| t.render_captured_to(ctx, &mut out).map(|_| ()));
    match result {
        Ok(()) => Ok(RenderedFile {
            environment: env.name().to_owned(),
            baseline: baseline.name().to_owned(),
            target: spec.target.clone(),
            path: format!("{}/{}", env.output.trim_end_matches('/'), spec.target),
            contents: String::from_utf8(out.bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }),
        Err(err) => Err(Box::new(
            template_finding(repo, &spec.template, &err, out.overflowed).in_env(env.name()),
        )),
    }
}

/// Turns a minijinja error into a finding located in the template that failed.
fn template_finding(
    repo: &Repository,
    template: &str,
    err: &minijinja::Error,
    overflowed: bool,
) -> Finding {
    // Errors raised inside an included template carry that template's name.
    let name = err.name().unwrap_or(template);
    let source = repo.templates.get(name).map(|id| repo.sources.get(*id));
    let location = match (source, err.range(), err.line()) {
        (Some(file), Some(range), _) => {
            file.location(range.start, range.end.saturating_sub(range.start))
        }
        (Some(file), None, Some(line)) => file.line_location(line),
        (Some(file), None, None) => Location::file(file.path.clone()),
        (None, _, _) => Location::file(format!("{}/{name}", repo.manifest.paths.templates)),
    };
    let snippet = source
        .zip(err.range())
        .and_then(|(file, range)| file.text.get(range).map(str::to_owned));
    let detail = err
        .detail()
        .map_or_else(|| err.kind().to_string(), str::to_owned);
    let (rule, message, help) = match err.kind() {
        ErrorKind::UndefinedError => (
            RuleId::UndefinedVariable,
            match &snippet {
                Some(expr) => format!("`{expr}` is undefined in template `{name}`"),
                None => format!("template `{name}` uses an undefined value"),
            },
            "use only `settings.<Name>` of the baseline's settings, `vars.<name>` of the environment, `environment` and `baseline`".to_owned(),
        ),
        ErrorKind::OutOfFuel => (
            RuleId::TemplateError,
            format!("template `{name}` ran out of its instruction budget ({FUEL})"),
            "a loop or recursion does not end; bound it".to_owned(),
        ),
        ErrorKind::WriteFailure if overflowed => (
            RuleId::TemplateError,
            format!("template `{name}` produced more than {MAX_OUTPUT_BYTES} bytes"),
            "a loop repeats output without bound; bound it".to_owned(),
        ),
        ErrorKind::TemplateNotFound => (
            RuleId::MissingTemplate,
            format!("template `{name}`: {detail}"),
            format!("templates load only from `{}/`", repo.manifest.paths.templates),
        ),
        kind => (
            RuleId::TemplateError,
            format!("template `{name}`: {kind}: {detail}"),
            "fix the template; see the minijinja syntax documentation".to_owned(),
        ),
    };
    Finding::new(rule, Severity::High, message, help).at(location)
}

/// A baseline's default values, converted for templates once per run.
type Defaults = Arc<BTreeMap<String, JValue>>;

/// The effective settings as a template sees them: the baseline's defaults (shared by
/// every environment) overlaid with this environment's values, without copying the map.
#[derive(Debug)]
struct SettingsObject {
    defaults: Defaults,
    overrides: BTreeMap<String, JValue>,
}

impl Object for SettingsObject {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let key = key.as_str()?;
        self.overrides
            .get(key)
            .or_else(|| self.defaults.get(key))
            .cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| {
            Box::new(this.defaults.keys().map(|k| JValue::from(k.as_str())))
        })
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.defaults.len())
    }
}

/// A writer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct CappedWriter {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
