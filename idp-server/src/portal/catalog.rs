//! `/catalog`: the templates of `template.json`; `/catalog/{template}/new`: the create form,
//! generated from the configuration's JSON Schema and validated by the rules of `idp validate`
//! (`Config::from_yaml_with` with the platform's options), each message next to its field.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use idp_core::domain::access::{self, Action};
use idp_core::domain::config::{Config, json_schema, schema::KEYS};
use idp_core::domain::cost::format_usd;
use idp_core::domain::naming::EnvName;
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::environments::operation_of;
use super::session::Signed;
use super::views::{Section, page, problem_page, respond};
use super::{Fields, see_other, segment};
use crate::model::{CreateEnvironment, Template, TemplateCatalog};
use crate::problem::Problem;
use crate::routes;
use crate::state::AppState;

/// The name of the file errors are reported against (the form stands in for
/// `.idp/config.yml`).
const FORM_FILE: &str = "the create form";

async fn catalog(state: &Arc<AppState>, who: &Signed) -> Result<TemplateCatalog, Problem> {
    routes::templates::list(State(state.clone()), who.caller())
        .await
        .map(|json| json.0)
}

fn may_create(who: &Signed) -> bool {
    access::authorize(
        &who.session.principal,
        Action::CreateEnvironment { owner: None },
    )
    .is_ok()
}

fn template_card(t: &Template, who: &Signed) -> Markup {
    html! {
        article.card data-template=(t.name) aria-labelledby={ "t-" (t.name) } {
            h2 id={ "t-" (t.name) } { code { (t.name) } }
            p { (t.description) }
            dl.facts {
                dt { "Cost per hour" }
                dd { @match t.hourly_cost_usd { Some(c) => { (format_usd(c)) " (list price, est.)" }, None => { "not estimated" } } }
                @if !t.required.is_empty() { dt { "Required inputs" } dd { @for (i, r) in t.required.iter().enumerate() { @if i > 0 { ", " } code { (r) } } } }
                @if !t.optional.is_empty() { dt { "Optional inputs" } dd { @for (i, r) in t.optional.iter().enumerate() { @if i > 0 { ", " } code { (r) } } } }
                @if !t.outputs.is_empty() { dt { "Outputs" } dd { @for (i, r) in t.outputs.iter().enumerate() { @if i > 0 { ", " } code { (r) } } } }
            }
            @if let Some(note) = &t.cost_note { p.hint { (note) } }
            @if may_create(who) {
                p { a.button href={ "/catalog/" (segment(&t.name)) "/new" } aria-label={ "Create from " (t.name) } { "Create" } }
            }
        }
    }
}

/// `GET /catalog`.
pub(crate) async fn list(State(state): State<Arc<AppState>>, who: Signed) -> Response {
    let catalog = match catalog(&state, &who).await {
        Ok(c) => c,
        Err(p) => return problem_page(&p, Some(&who)),
    };
    let main = html! {
        h1 { "Catalog" }
        p.meta { "The templates environments are made from, with their inputs and list price." }
        @if !catalog.invalid.is_empty() {
            div role="alert" {
                p { "Some templates cannot be offered:" }
                ul { @for b in &catalog.invalid { li { code { (b.path) } ": " (b.reason) } } }
            }
        }
        @if catalog.templates.is_empty() {
            p.empty { "No templates: the server's templates directory has no folder with a `template.json`." }
        } @else {
            div.cards { @for t in &catalog.templates { (template_card(t, &who)) } }
        }
    };
    respond(
        StatusCode::OK,
        page("Catalog", Section::Catalog, Some(&who), main),
    )
}

/// One field of the create form, from one key of the configuration's schema.
#[derive(Debug, Clone)]
struct FieldSpec {
    /// The form field's name: the key (`local.command` for the one nested key).
    name: String,
    label: String,
    help: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Integer,
    Choice(Vec<String>),
    Boolean,
    /// A map, written `NAME=value` one per line.
    Map,
}

fn property_kind(p: &Value) -> Kind {
    if let Some(values) = p.get("enum").and_then(Value::as_array) {
        return Kind::Choice(
            values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    let types: Vec<&str> = match p.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"integer") {
        Kind::Integer
    } else if types.contains(&"boolean") {
        Kind::Boolean
    } else if types.contains(&"object") {
        Kind::Map
    } else {
        Kind::Text
    }
}

/// The form's fields: every key of the schema but `template` (the page's) and deprecated ones.
fn fields() -> Vec<FieldSpec> {
    let schema = json_schema();
    let props = schema.get("properties").cloned().unwrap_or_default();
    let mut out = Vec::new();
    for key in KEYS {
        let Some(p) = props.get(key) else { continue };
        if key == "template" || p.get("deprecated").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let help = p
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('\n', " ");
        if key == "local" {
            out.push(FieldSpec {
                name: "local.command".to_owned(),
                label: "local.command".to_owned(),
                help:
                    "The command that starts the app on the local backend; it must listen on $PORT."
                        .to_owned(),
                kind: Kind::Text,
            });
            continue;
        }
        out.push(FieldSpec {
            name: key.to_owned(),
            label: key.to_owned(),
            help,
            kind: property_kind(p),
        });
    }
    out
}

/// The values the form starts with: the server's configuration.
fn defaults(config: &Config) -> BTreeMap<String, String> {
    let raw = serde_json::to_value(config.to_raw()).unwrap_or_default();
    let mut out = BTreeMap::new();
    if let Some(map) = raw.as_object() {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Object(o) if k == "local" => {
                    if let Some(Value::String(c)) = o.get("command") {
                        out.insert("local.command".to_owned(), c.clone());
                    }
                    continue;
                }
                Value::Object(o) => o
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Value::Null => continue,
                other => other.to_string(),
            };
            out.insert(k.clone(), text);
        }
    }
    out
}

fn field(spec: &FieldSpec, value: &str, error: Option<&String>) -> Markup {
    let id = format!("f-{}", spec.name.replace('.', "-"));
    let error_id = format!("error-{}", spec.name);
    let help_id = format!("help-{}", spec.name.replace('.', "-"));
    let described = match error {
        Some(_) => format!("{error_id} {help_id}"),
        None => help_id.clone(),
    };
    let invalid = error.map(|_| "true");
    html! {
        div.field {
            label for=(id) { code { (spec.label) } }
            @match &spec.kind {
                Kind::Choice(options) => {
                    select id=(id) name=(spec.name) aria-invalid=[invalid] aria-describedby=(described) {
                        @for o in options { option value=(o) selected[o == value] { (o) } }
                    }
                }
                Kind::Boolean => {
                    select id=(id) name=(spec.name) aria-invalid=[invalid] aria-describedby=(described) {
                        option value="false" selected[value != "true"] { "false" }
                        option value="true" selected[value == "true"] { "true" }
                    }
                }
                Kind::Map => {
                    textarea id=(id) name=(spec.name) rows="3" aria-invalid=[invalid] aria-describedby=(described) placeholder="NAME=value, one per line" { (value) }
                }
                Kind::Integer => {
                    input type="text" inputmode="numeric" id=(id) name=(spec.name) value=(value) aria-invalid=[invalid] aria-describedby=(described);
                }
                Kind::Text => {
                    input type="text" id=(id) name=(spec.name) value=(value) aria-invalid=[invalid] aria-describedby=(described);
                }
            }
            @if let Some(e) = error { p.field-error id=(error_id) { (e) } }
            p.hint id=(help_id) { (spec.help) }
        }
    }
}

fn form_page(
    who: &Signed,
    template: &Template,
    name: &str,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    general: &[String],
) -> Markup {
    let name_error = errors.get("name");
    let main = html! {
        p { a href="/catalog" { "← Catalog" } }
        h1 { "Create from " code { (template.name) } }
        p { (template.description) }
        @if !errors.is_empty() || !general.is_empty() {
            div role="alert" id="form-errors" {
                p { "The environment was not created: fix the fields marked below." }
                @if !general.is_empty() { ul { @for g in general { li { (g) } } } }
            }
        }
        form method="post" action={ "/catalog/" (segment(&template.name)) } novalidate {
            input type="hidden" name="csrf" value=(who.csrf());
            div.field {
                label for="f-name" { "Name" }
                input type="text" id="f-name" name="name" value=(name) required autocomplete="off" spellcheck="false"
                    aria-invalid=[name_error.map(|_| "true")]
                    aria-describedby={ @if name_error.is_some() { "error-name " } "help-name" };
                @if let Some(e) = name_error { p.field-error id="error-name" { (e) } }
                p.hint id="help-name" { "Lowercase letters, digits and hyphens, starting with a letter, at most 63 characters (a branch's environment is named after it, e.g. " code { "preview-feature-login" } ")." }
            }
            @for spec in fields() {
                @let label = if spec.name == "ttl" { "TTL".to_owned() } else { spec.label.clone() };
                @let spec = FieldSpec { label, ..spec };
                (field(&spec, values.get(&spec.name).map(String::as_str).unwrap_or_default(), errors.get(&spec.name)))
            }
            button type="submit" { "Create environment" }
        }
    };
    page(
        &format!("Create from {}", template.name),
        Section::Catalog,
        Some(who),
        main,
    )
}

async fn find_template(
    state: &Arc<AppState>,
    who: &Signed,
    name: &str,
) -> Result<Template, Problem> {
    let catalog = catalog(state, who).await?;
    catalog
        .templates
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "the catalog has no template `{}`",
                name.escape_debug()
            ))
            .hint("the catalog lists the templates at /catalog")
        })
}

/// `GET /catalog/{template}/new`.
pub(crate) async fn new(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(template): Path<String>,
) -> Response {
    let template = match find_template(&state, &who, &template).await {
        Ok(t) => t,
        Err(p) => return problem_page(&p, Some(&who)),
    };
    if let Err(p) = who.caller().may(Action::CreateEnvironment { owner: None }) {
        return problem_page(&p, Some(&who));
    }
    let values = defaults(&state.options.config);
    respond(
        StatusCode::OK,
        form_page(&who, &template, "", &values, &BTreeMap::new(), &[]),
    )
}

/// The form's values as a configuration document (JSON, which is YAML), and the errors of
/// fields that cannot even be written down (a map line without `=`).
fn document(
    template: &str,
    form: &Fields,
) -> (String, BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut doc = Map::new();
    let mut values = BTreeMap::new();
    let mut errors = BTreeMap::new();
    doc.insert("template".to_owned(), Value::String(template.to_owned()));
    for spec in fields() {
        let raw = form.get(&spec.name).unwrap_or_default();
        values.insert(spec.name.clone(), raw.to_owned());
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let value = match spec.kind {
            Kind::Integer | Kind::Choice(_) => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_owned())),
            Kind::Boolean => Value::Bool(text == "true"),
            Kind::Map => {
                let mut map = Map::new();
                for (i, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    match line.split_once('=') {
                        Some((k, v)) => {
                            map.insert(k.trim().to_owned(), Value::String(v.to_owned()));
                        }
                        None => {
                            errors.insert(
                                spec.name.clone(),
                                format!("line {}: write `NAME=value`", i + 1),
                            );
                        }
                    }
                }
                Value::Object(map)
            }
            Kind::Text => Value::String(text.to_owned()),
        };
        if let Some(nested) = spec.name.strip_prefix("local.") {
            let local = doc
                .entry("local")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = local {
                o.insert(nested.to_owned(), value);
            }
        } else {
            doc.insert(spec.name.clone(), value);
        }
    }
    let text = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
    (text, values, errors)
}

/// The form field a configuration error's key belongs to.
fn field_of(key: &str) -> String {
    if key.starts_with("local.") || key == "local" {
        return "local.command".to_owned();
    }
    key.split('.').next().unwrap_or(key).to_owned()
}

/// `POST /catalog/{template}`: validate like `idp validate`, then the API's create, and follow
/// it on the environment's page.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    who: Signed,
    Path(template): Path<String>,
    form: Fields,
) -> Response {
    if let Err(p) = who.check_csrf(form.get("csrf")) {
        return problem_page(&p, Some(&who));
    }
    let template = match find_template(&state, &who, &template).await {
        Ok(t) => t,
        Err(p) => return problem_page(&p, Some(&who)),
    };
    if let Err(p) = who.caller().may(Action::CreateEnvironment { owner: None }) {
        return problem_page(&p, Some(&who));
    }
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    let (text, values, mut errors) = document(&template.name, &form);
    let mut general = Vec::new();
    if let Err(e) = EnvName::parse(&name) {
        errors.insert("name".to_owned(), e.to_string());
    }
    if let Err(config_errors) =
        Config::from_yaml_with(&text, FORM_FILE, &state.platform.settings.config_options())
    {
        for e in config_errors.iter() {
            let message = if e.fix.is_empty() {
                e.message.clone()
            } else {
                format!("{} — {}", e.message, e.fix)
            };
            if e.key.is_empty() {
                general.push(message);
            } else {
                errors.entry(field_of(&e.key)).or_insert(message);
            }
        }
    }
    let invalid = |errors: &BTreeMap<String, String>, general: &[String]| {
        respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&who, &template, &name, &values, errors, general),
        )
    };
    if !errors.is_empty() || !general.is_empty() {
        return invalid(&errors, &general);
    }
    let body = CreateEnvironment {
        name: name.clone(),
        template: Some(template.name.clone()),
        ttl: None,
        owner: None,
        config: Some(text),
        // The form's `region` field, if the schema offers it, is in the config text.
        region: None,
    };
    match routes::environments::create(State(state.clone()), who.caller(), routes::Json(body)).await
    {
        Ok(res) => {
            let op = operation_of(&res).unwrap_or_default();
            see_other(&format!(
                "/environments/{}?done=created&operation={op}",
                segment(&name)
            ))
        }
        Err(p) if matches!(p.status, 400 | 409 | 422) => {
            let mut general = vec![p.detail.clone()];
            general.extend(p.errors.iter().cloned());
            invalid(&errors, &general)
        }
        Err(p) => problem_page(&p, Some(&who)),
    }
}
