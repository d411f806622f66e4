//! `${{ }}` expressions: parsed by `github-actions-expressions` (zizmor's parser), evaluated here
//! with GitHub's rules: `&&` and `||` yield one of their operands (not a boolean), `==` compares
//! strings case-insensitively and other mixed types as numbers, `null`, `false`, `0`, `''` and
//! `NaN` are falsy, a missing property is `null`, and an `if:` without a status function means
//! `success() && (…)`.
//!
//! Functions: the status functions, `contains`, `startsWith`, `endsWith`, `format`, `join`,
//! `toJSON` and `fromJSON`. `hashFiles` and `case` are refused, like contexts the runner does
//! not provide: an expression it cannot evaluate is an error, never an empty string.

use std::collections::BTreeMap;

use github_actions_expressions::call::{Call, Function};
use github_actions_expressions::context::Context;
use github_actions_expressions::literal::Literal;
use github_actions_expressions::op::{BinOp, UnOp};
use github_actions_expressions::{Evaluation, Expr, SpannedExpr};
use serde_json::Value;

/// The contexts an expression sees (`github`, `inputs`, `steps` …, by lower-case name) and the
/// status its status functions report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contexts {
    pub values: BTreeMap<String, Value>,
    /// Whether every earlier step (job level: every needed job) succeeded.
    pub success: bool,
    /// Whether an earlier step (job level: a needed job) failed.
    pub failure: bool,
}

impl Contexts {
    pub(crate) fn with(mut self, name: &str, value: Value) -> Self {
        self.values.insert(name.to_owned(), value);
        self
    }
}

/// Evaluates one expression (the text between `${{` and `}}`).
pub(crate) fn eval(source: &str, cx: &Contexts) -> Result<Value, String> {
    let expr = Expr::parse(source.trim()).map_err(|e| format!("`{source}`: {e}"))?;
    value_of(&expr, cx).map_err(|e| format!("`{}`: {e}", source.trim()))
}

/// Evaluates an `if:` (with or without `${{ }}`), adding the implicit `success() &&`.
pub(crate) fn condition(source: &str, cx: &Contexts) -> Result<bool, String> {
    let trimmed = source.trim();
    let inner = match single_expression(trimmed) {
        Some(inner) => inner,
        None if trimmed.contains("${{") => {
            // `if: a ${{ b }}` is a string, always truthy on GitHub once interpolated.
            return Ok(cx.success && !template(trimmed, cx)?.is_empty());
        }
        None => trimmed,
    };
    let expr = Expr::parse(inner).map_err(|e| format!("`if: {inner}`: {e}"))?;
    let value = value_of(&expr, cx).map_err(|e| format!("`if: {inner}`: {e}"))?;
    Ok(if has_status_function(&expr) {
        truthy(&value)
    } else {
        cx.success && truthy(&value)
    })
}

/// The text with every `${{ expr }}` replaced by its value as a string.
pub(crate) fn template(text: &str, cx: &Contexts) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = closing(after).ok_or_else(|| format!("unterminated `${{{{` in `{text}`"))?;
        out.push_str(&to_text(&eval(&after[..end], cx)?));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A value that is exactly one `${{ expr }}` keeps its type (a reusable workflow's boolean
/// input); any other text is interpolated into a string.
pub(crate) fn value(text: &str, cx: &Contexts) -> Result<Value, String> {
    match single_expression(text.trim()) {
        Some(inner) => eval(inner, cx),
        None => template(text, cx).map(Value::String),
    }
}

/// The inner text when `text` is one `${{ … }}` and nothing else.
fn single_expression(text: &str) -> Option<&str> {
    let after = text.strip_prefix("${{")?;
    let end = closing(after)?;
    (after[end + 2..].trim().is_empty()).then(|| &after[..end])
}

/// The offset of the `}}` closing an expression, skipping `'…'` string literals.
fn closing(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'}' if !quoted && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A value as GitHub prints it into a string: `null` is empty, objects are JSON.
pub(crate) fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => evaluation(value).sema().to_string(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// GitHub's truthiness.
pub(crate) fn truthy(value: &Value) -> bool {
    evaluation(value).as_boolean()
}

fn evaluation(value: &Value) -> Evaluation {
    match value {
        // Arrays and objects compare by identity on GitHub, never equal to a scalar; the
        // crate's conversion of their contents is not needed for that.
        Value::Array(_) => Evaluation::Array(Vec::new()),
        Value::Object(_) => Evaluation::Object(Default::default()),
        scalar => Evaluation::try_from(scalar.clone()).unwrap_or(Evaluation::Null),
    }
}

fn number(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn has_status_function(expr: &SpannedExpr<'_>) -> bool {
    match &**expr {
        Expr::Call(call) => {
            matches!(
                call.func,
                Function::Success | Function::Failure | Function::Always | Function::Cancelled
            ) || call.args.iter().any(has_status_function)
        }
        Expr::BinExpr(bin) => has_status_function(&bin.lhs) || has_status_function(&bin.rhs),
        Expr::UnExpr { expr, .. } => has_status_function(expr),
        Expr::Index(inner) => has_status_function(inner),
        Expr::Context(ctx) => ctx.parts.iter().any(has_status_function),
        _ => false,
    }
}

fn value_of(expr: &SpannedExpr<'_>, cx: &Contexts) -> Result<Value, String> {
    match &**expr {
        Expr::Literal(literal) => Ok(match literal {
            Literal::Number(n) => number(*n),
            Literal::String(s) => Value::String(s.to_string()),
            Literal::Boolean(b) => Value::Bool(*b),
            Literal::Null => Value::Null,
        }),
        Expr::Context(ctx) => context(ctx, cx),
        Expr::Call(call) => function(call, cx),
        Expr::BinExpr(bin) => {
            let lhs = value_of(&bin.lhs, cx)?;
            match bin.op {
                BinOp::And if !truthy(&lhs) => Ok(lhs),
                BinOp::Or if truthy(&lhs) => Ok(lhs),
                BinOp::And | BinOp::Or => value_of(&bin.rhs, cx),
                ref op => {
                    let rhs = value_of(&bin.rhs, cx)?;
                    let (l, r) = (evaluation(&lhs), evaluation(&rhs));
                    let (l, r) = (l.sema(), r.sema());
                    Ok(Value::Bool(match op {
                        BinOp::Eq => l == r,
                        BinOp::Neq => l != r,
                        BinOp::Gt => l > r,
                        BinOp::Ge => l >= r,
                        BinOp::Lt => l < r,
                        BinOp::Le => l <= r,
                        BinOp::And | BinOp::Or => unreachable!("handled above"),
                    }))
                }
            }
        }
        Expr::UnExpr {
            op: UnOp::Not,
            expr,
        } => Ok(Value::Bool(!truthy(&value_of(expr, cx)?))),
        Expr::Identifier(id) => Err(format!("a bare name `{}`", id.as_str())),
        Expr::Star | Expr::Index(_) => Err("`*` and `[…]` outside a context".to_owned()),
    }
}

fn context(ctx: &Context<'_>, cx: &Contexts) -> Result<Value, String> {
    let Some((head, tail)) = ctx.parts.split_first() else {
        return Err("an empty context".to_owned());
    };
    let mut current = match &**head {
        Expr::Identifier(id) => {
            let name = id.as_str().to_ascii_lowercase();
            cx.values
                .get(&name)
                .cloned()
                .ok_or_else(|| format!("the runner provides no `{name}` context"))?
        }
        _ => value_of(head, cx)?,
    };
    for part in tail {
        current = match &**part {
            Expr::Identifier(id) => property(&current, id.as_str()),
            Expr::Index(index) => match value_of(index, cx)? {
                Value::String(key) => property(&current, &key),
                Value::Number(n) => n
                    .as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .and_then(|f| current.as_array()?.get(f as usize).cloned())
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Expr::Star => return Err("object filters (`.*`) are not implemented".to_owned()),
            _ => return Err("an unexpected part of a context".to_owned()),
        };
    }
    Ok(current)
}

/// `value.key`, case-insensitively as GitHub looks properties up; `null` when absent.
fn property(value: &Value, key: &str) -> Value {
    let Some(object) = value.as_object() else {
        return Value::Null;
    };
    object
        .get(key)
        .or_else(|| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .cloned()
        .unwrap_or(Value::Null)
}

fn function(call: &Call<'_>, cx: &Contexts) -> Result<Value, String> {
    let args =
        || -> Result<Vec<Value>, String> { call.args.iter().map(|a| value_of(a, cx)).collect() };
    let lower = |v: &Value| to_text(v).to_lowercase();
    Ok(match call.func {
        Function::Success => Value::Bool(cx.success),
        Function::Failure => Value::Bool(cx.failure),
        Function::Always => Value::Bool(true),
        Function::Cancelled => Value::Bool(false),
        Function::Contains => {
            let a = args()?;
            match &a[0] {
                Value::Array(items) => {
                    let needle = evaluation(&a[1]);
                    Value::Bool(items.iter().any(|i| evaluation(i).sema() == needle.sema()))
                }
                hay => Value::Bool(lower(hay).contains(&lower(&a[1]))),
            }
        }
        Function::StartsWith => {
            let a = args()?;
            Value::Bool(lower(&a[0]).starts_with(&lower(&a[1])))
        }
        Function::EndsWith => {
            let a = args()?;
            Value::Bool(lower(&a[0]).ends_with(&lower(&a[1])))
        }
        Function::Format => {
            let a = args()?;
            Value::String(format_string(&to_text(&a[0]), &a[1..])?)
        }
        Function::Join => {
            let a = args()?;
            let separator = a.get(1).map_or_else(|| ",".to_owned(), to_text);
            match &a[0] {
                Value::Array(items) => Value::String(
                    items
                        .iter()
                        .map(to_text)
                        .collect::<Vec<_>>()
                        .join(&separator),
                ),
                other => Value::String(to_text(other)),
            }
        }
        Function::ToJSON => {
            Value::String(serde_json::to_string_pretty(&args()?[0]).unwrap_or_default())
        }
        Function::FromJSON => {
            let text = to_text(&args()?[0]);
            serde_json::from_str(&text).map_err(|e| format!("fromJSON({text:?}): {e}"))?
        }
        Function::HashFiles | Function::Case => {
            return Err(format!("{:?} is not implemented by the runner", call.func));
        }
    })
}

/// `format('{0} and {1}', a, b)`, with `{{` and `}}` for literal braces.
fn format_string(spec: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let digits: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let index: usize = digits
                    .parse()
                    .map_err(|_| format!("format: `{{{digits}}}` is not an argument"))?;
                let arg = args
                    .get(index)
                    .ok_or_else(|| format!("format: no argument {index}"))?;
                out.push_str(&to_text(arg));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx() -> Contexts {
        Contexts {
            success: true,
            failure: false,
            ..Contexts::default()
        }
        .with(
            "github",
            json!({"event_name": "push", "event": {"pull_request": null, "ref": "refs/heads/a"}, "head_ref": "", "ref_name": "feature/x"}),
        )
        .with(
            "steps",
            json!({"setup": {"outputs": {"deploy": "true", "action": "provision"}}}),
        )
        .with("needs", json!({"build": {"result": "skipped", "outputs": {}}, "setup": {"outputs": {"image": "nginx:1"}}}))
        .with("inputs", json!({"dry_run": null, "release-url": ""}))
    }

    #[test]
    fn or_and_and_yield_an_operand_and_missing_properties_are_null() {
        let cx = cx();
        assert_eq!(
            eval(
                "needs.build.outputs.image || needs.setup.outputs.image",
                &cx
            )
            .unwrap(),
            json!("nginx:1")
        );
        assert_eq!(
            eval("github.event_name == 'delete' && github.event.ref || github.head_ref || github.ref_name", &cx).unwrap(),
            json!("feature/x")
        );
        assert_eq!(
            eval(
                "steps.setup.outputs.action == 'provision' && 'created' || 'updated'",
                &cx
            )
            .unwrap(),
            json!("created")
        );
        assert_eq!(eval("inputs.dry_run || false", &cx).unwrap(), json!(false));
        assert_eq!(
            eval("github.event.pull_request.head.sha", &cx).unwrap(),
            Value::Null
        );
        assert_eq!(eval("inputs.release-url", &cx).unwrap(), json!(""));
    }

    #[test]
    fn equality_is_loose_and_case_insensitive() {
        let cx = cx();
        assert_eq!(eval("'TRUE' == 'true'", &cx).unwrap(), json!(true));
        assert_eq!(eval("'1' == 1", &cx).unwrap(), json!(true));
        assert_eq!(eval("null == 0", &cx).unwrap(), json!(true));
        assert_eq!(eval("true == 'true'", &cx).unwrap(), json!(false));
        assert_eq!(eval("!(1 != 1)", &cx).unwrap(), json!(true));
    }

    #[test]
    fn conditions_add_success_unless_they_call_a_status_function() {
        let mut cx = cx();
        assert!(condition("steps.setup.outputs.deploy == 'true'", &cx).unwrap());
        assert!(condition("${{ steps.setup.outputs.deploy == 'true' }}", &cx).unwrap());
        cx.success = false;
        cx.failure = true;
        assert!(!condition("steps.setup.outputs.deploy == 'true'", &cx).unwrap());
        assert!(condition("failure() && steps.setup.outputs.deploy == 'true'", &cx).unwrap());
        assert!(
            condition(
                "always() && (needs.build.result == 'success' || needs.build.result == 'skipped')",
                &cx
            )
            .unwrap()
        );
    }

    #[test]
    fn templates_interpolate_and_keep_quoted_braces() {
        let cx = cx();
        assert_eq!(
            template(
                "idp-action ${{ steps.setup.outputs.action }} '${{ '}}' }}'",
                &cx
            )
            .unwrap(),
            "idp-action provision '}}'"
        );
        assert_eq!(
            value("${{ inputs.dry_run || false }}", &cx).unwrap(),
            json!(false)
        );
        assert_eq!(
            eval("format('{0}-{1}{{x}}', 'a', 1)", &cx).unwrap(),
            json!("a-1{x}")
        );
        assert!(
            eval("secrets.X", &cx)
                .unwrap_err()
                .contains("no `secrets` context")
        );
        assert!(template("${{ hashFiles('x') }}", &cx).is_err());
    }
}
