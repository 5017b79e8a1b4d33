//! What a template override may do, so that no render can exhaust memory. minijinja's fuel counts
//! instructions, not bytes: `{% set s = s ~ s %}` in a loop of forty doubles a string forty times for
//! a few hundred instructions. So an override may show values but not build and keep new ones:
//!
//! - no statement that stores or captures a value (`set`, `with`, `macro`, `call`, `filter` blocks,
//!   `import`, `do`) and no recursive loop, so nothing grows from one step of a loop to the next;
//! - an expression joins at most `MAX_JOINS_PER_EXPRESSION` values (`~` and `+`), repeats (`*`) only
//!   a plain value by a number written in the template of at most `MAX_REPEAT`, and calls only the
//!   filters and functions listed here, those that can make text longer capped at `MAX_VALUE_BYTES`
//!   and those that make lists at `MAX_ITEMS` (`render::base_environment` installs the capped
//!   versions; `batch` and `slice`, which make as many lists as asked, are not listed);
//! - the page it writes is capped at `MAX_PAGE_BYTES` (`render`'s capped writer).
//!
//! Every value is then at most a small multiple of the largest value the page's data holds, and each
//! loop step's output is written (and counted) before the next: a render's memory is bounded whatever
//! the template. An override that breaks a rule does not compile: saving or importing it is refused
//! with the rule and the line, and a workspace that already holds one serves the shipped template.

use minijinja::machinery::ast::{BinOpKind, CallArg, CallType, Expr, Stmt};
use minijinja::machinery::{Span, WhitespaceConfig};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::StringInput;
use minijinja::{State, Value};

/// The longest template override.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// The largest page a template override may write.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// The longest text a filter that can lengthen text (`join`, `replace`, `escape`, ...) may return.
pub const MAX_VALUE_BYTES: usize = 2 * 1024 * 1024;
/// Values one expression may join with `~` or `+`.
pub const MAX_JOINS_PER_EXPRESSION: usize = 16;
/// The largest number a value may be repeated by with `*`.
pub const MAX_REPEAT: i64 = 100;

/// Filters an override may use. Those that can lengthen text are capped (`render::base_environment`).
const FILTERS: &[&str] = &[
    // The portal's own.
    "when",
    "filesize",
    "status",
    "urlencode",
    "ticket_url",
    "linkify", // minijinja's that only select or shorten.
    "abs",
    "attr",
    "bool",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "groupby",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
];

/// Functions an override may call (methods, such as `loop.cycle`, are always allowed).
const FUNCTIONS: &[&str] = &["t", "range", "dict", "cycler", "joiner", "super", "caller"];

/// Why an override is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: Option<usize>,
    pub message: String,
}

/// Checks a template override against the rules above. A template that does not parse passes here:
/// compiling it reports the syntax error.
// `SyntaxConfig` is a unit struct unless minijinja's `custom_syntax` feature is on.
#[allow(clippy::default_constructed_unit_structs)]
pub fn check(name: &str, source: &str) -> Result<(), Refusal> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(Refusal {
            line: None,
            message: format!(
                "the template is {} KB; a template may have at most {} KB",
                source.len() / 1024,
                MAX_TEMPLATE_BYTES / 1024
            ),
        });
    }
    let Ok(template) = minijinja::machinery::parse(
        source,
        name,
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    ) else {
        return Ok(());
    };
    statement(&template)
}

fn refuse<T>(span: Span, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        line: Some(span.start_line as usize),
        message: message.into(),
    })
}

const KEEPS_VALUES: &str =
    "a portal template may show values but not keep new ones (so that no page can grow without bound)";

fn statements(body: &[Stmt]) -> Result<(), Refusal> {
    body.iter().try_for_each(statement)
}

fn statement(node: &Stmt) -> Result<(), Refusal> {
    match node {
        Stmt::Template(template) => statements(&template.children),
        Stmt::EmitExpr(emit) => expression(&emit.expr),
        Stmt::EmitRaw(_) => Ok(()),
        Stmt::ForLoop(each) => {
            if each.recursive {
                return refuse(
                    each.span(),
                    "recursive loops are not available in portal templates",
                );
            }
            expression(&each.iter)?;
            if let Some(condition) = &each.filter_expr {
                expression(condition)?;
            }
            statements(&each.body)?;
            statements(&each.else_body)
        }
        Stmt::IfCond(condition) => {
            expression(&condition.expr)?;
            statements(&condition.true_body)?;
            statements(&condition.false_body)
        }
        Stmt::AutoEscape(block) => {
            expression(&block.enabled)?;
            statements(&block.body)
        }
        Stmt::Block(block) => statements(&block.body),
        Stmt::Extends(extends) => expression(&extends.name),
        Stmt::Include(include) => expression(&include.name),
        Stmt::Set(set) => refuse(
            set.span(),
            format!("`set` is not available: {KEEPS_VALUES}"),
        ),
        Stmt::SetBlock(set) => refuse(
            set.span(),
            format!("`set` is not available: {KEEPS_VALUES}"),
        ),
        Stmt::WithBlock(with) => refuse(
            with.span(),
            format!("`with` is not available: {KEEPS_VALUES}"),
        ),
        Stmt::FilterBlock(block) => refuse(
            block.span(),
            format!("`filter` blocks are not available: {KEEPS_VALUES}"),
        ),
        Stmt::Macro(definition) => refuse(
            definition.span(),
            format!("macros are not available: {KEEPS_VALUES}"),
        ),
        Stmt::CallBlock(call) => refuse(
            call.span(),
            format!("`call` blocks are not available: {KEEPS_VALUES}"),
        ),
        Stmt::Import(import) => refuse(
            import.span(),
            format!("`import` is not available: {KEEPS_VALUES}"),
        ),
        Stmt::FromImport(import) => refuse(
            import.span(),
            format!("`import` is not available: {KEEPS_VALUES}"),
        ),
        Stmt::Do(call) => refuse(
            call.span(),
            format!("`do` is not available: {KEEPS_VALUES}"),
        ),
    }
}

/// One expression, with its own count of joins.
fn expression(node: &Expr) -> Result<(), Refusal> {
    let mut joins = 0;
    walk(node, &mut joins)
}

fn walk(node: &Expr, joins: &mut usize) -> Result<(), Refusal> {
    match node {
        Expr::Var(_) | Expr::Const(_) => Ok(()),
        Expr::Slice(slice) => {
            walk(&slice.expr, joins)?;
            for part in [&slice.start, &slice.stop, &slice.step]
                .into_iter()
                .flatten()
            {
                walk(part, joins)?;
            }
            Ok(())
        }
        Expr::UnaryOp(unary) => walk(&unary.expr, joins),
        Expr::BinOp(binary) => {
            match binary.op {
                BinOpKind::Concat | BinOpKind::Add => {
                    *joins += 1;
                    if *joins > MAX_JOINS_PER_EXPRESSION {
                        return refuse(
                            binary.span(),
                            format!(
                                "an expression may join at most {MAX_JOINS_PER_EXPRESSION} values \
                                 with `~` or `+`"
                            ),
                        );
                    }
                }
                BinOpKind::Mul if !plain_repeat(&binary.left, &binary.right) => {
                    return refuse(
                        binary.span(),
                        format!(
                            "`*` may only repeat a plain value by a number of at most {MAX_REPEAT} \
                             written in the template"
                        ),
                    );
                }
                _ => {}
            }
            walk(&binary.left, joins)?;
            walk(&binary.right, joins)
        }
        Expr::Compare(compare) => {
            walk(&compare.expr, joins)?;
            compare.ops.iter().try_for_each(|op| walk(&op.expr, joins))
        }
        Expr::IfExpr(choice) => {
            walk(&choice.test_expr, joins)?;
            walk(&choice.true_expr, joins)?;
            choice
                .false_expr
                .iter()
                .try_for_each(|other| walk(other, joins))
        }
        Expr::Filter(filter) => {
            if !FILTERS.contains(&filter.name) {
                return refuse(
                    filter.span(),
                    format!(
                        "the filter `{}` is not available in portal templates",
                        filter.name
                    ),
                );
            }
            if filter.name == "map" {
                map_filter(filter.span(), &filter.args)?;
            }
            if let Some(value) = &filter.expr {
                walk(value, joins)?;
            }
            arguments(&filter.args, joins)
        }
        Expr::Test(test) => {
            walk(&test.expr, joins)?;
            arguments(&test.args, joins)
        }
        Expr::GetAttr(attribute) => walk(&attribute.expr, joins),
        Expr::GetItem(item) => {
            walk(&item.expr, joins)?;
            walk(&item.subscript_expr, joins)
        }
        Expr::Call(call) => {
            match call.identify_call() {
                CallType::Function(name) if !FUNCTIONS.contains(&name) => {
                    return refuse(
                        call.span(),
                        format!("the function `{name}` is not available in portal templates"),
                    );
                }
                // `self.name()` renders a block into a value; a block calling itself twice doubles.
                CallType::Block(name) => {
                    return refuse(
                        call.span(),
                        format!("`self.{name}()` is not available: {KEEPS_VALUES}"),
                    );
                }
                CallType::Function(_) => {}
                CallType::Method(object, _) | CallType::Object(object) => walk(object, joins)?,
            }
            arguments(&call.args, joins)
        }
        Expr::List(list) => list.items.iter().try_for_each(|item| walk(item, joins)),
        Expr::Map(map) => map
            .keys
            .iter()
            .chain(map.values.iter())
            .try_for_each(|part| walk(part, joins)),
    }
}

fn arguments(args: &[CallArg], joins: &mut usize) -> Result<(), Refusal> {
    args.iter().try_for_each(|argument| match argument {
        CallArg::Pos(value)
        | CallArg::Kwarg(_, value)
        | CallArg::PosSplat(value)
        | CallArg::KwargSplat(value) => walk(value, joins),
    })
}

/// `map("name", ...)` applies the filter `name` to each item: it must be one of `FILTERS` too, and
/// written in the template. `map(attribute=...)` reads attributes.
fn map_filter(span: Span, args: &[CallArg]) -> Result<(), Refusal> {
    match args.first() {
        None | Some(CallArg::Kwarg(_, _)) => Ok(()),
        Some(CallArg::Pos(Expr::Const(name)))
            if name
                .value
                .as_str()
                .is_some_and(|name| FILTERS.contains(&name)) =>
        {
            Ok(())
        }
        _ => refuse(
            span,
            "`map` may only apply a filter named in the template that portal templates may use",
        ),
    }
}

/// `value * n` (or `n * value`): a variable, attribute or item repeated by a number literal.
fn plain_repeat(left: &Expr, right: &Expr) -> bool {
    let small_number = |node: &Expr| match node {
        Expr::Const(constant) if constant.value.as_str().is_none() => {
            f64::try_from(constant.value.clone())
                .is_ok_and(|n| (0.0..=MAX_REPEAT as f64).contains(&n))
        }
        _ => false,
    };
    let plain = |node: &Expr| {
        matches!(
            node,
            Expr::Var(_) | Expr::GetAttr(_) | Expr::GetItem(_) | Expr::Const(_)
        )
    };
    (small_number(right) && plain(left)) || (small_number(left) && plain(right))
}

/// The error of a value over `MAX_VALUE_BYTES`.
fn too_long(what: &str) -> minijinja::Error {
    minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!(
            "`{what}` would make a text longer than {} MB, the most a portal template may build",
            MAX_VALUE_BYTES / (1024 * 1024)
        ),
    )
}

/// `value` when it is no longer than `MAX_VALUE_BYTES`.
pub fn capped(what: &str, value: Value) -> Result<Value, minijinja::Error> {
    match value.as_str() {
        Some(text) if text.len() > MAX_VALUE_BYTES => Err(too_long(what)),
        _ => Ok(value),
    }
}

fn shown_len(value: &Value) -> usize {
    value
        .as_str()
        .map_or_else(|| value.to_string().len(), str::len)
}

/// minijinja's `join`, refused before it builds more than `MAX_VALUE_BYTES`.
pub fn join(
    state: &State,
    value: &Value,
    joiner: Option<StringInput<'_>>,
) -> Result<Value, minijinja::Error> {
    let separator = joiner.as_ref().map_or(0, |joiner| joiner.as_str().len());
    if let Ok(items) = value.try_iter() {
        let mut length = 0usize;
        for (index, item) in items.enumerate() {
            length += shown_len(&item) + if index > 0 { separator } else { 0 };
            if length > MAX_VALUE_BYTES {
                return Err(too_long("join"));
            }
        }
    }
    capped("join", minijinja::filters::join(state, value, joiner)?)
}

/// minijinja's `replace`, refused before it builds more than `MAX_VALUE_BYTES`.
pub fn replace(
    state: &State,
    value: StringInput<'_>,
    from: StringInput<'_>,
    to: StringInput<'_>,
) -> Result<Value, minijinja::Error> {
    let text = value.as_str();
    let occurrences = if from.as_str().is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(from.as_str()).count()
    };
    let length = occurrences
        .saturating_mul(to.as_str().len())
        .saturating_add(text.len());
    if length > MAX_VALUE_BYTES {
        return Err(too_long("replace"));
    }
    capped(
        "replace",
        minijinja::filters::replace(state, value, from, to)?,
    )
}

/// Items a filter may make a list of (as many as `range` gives).
pub const MAX_ITEMS: usize = 100_000;

fn too_many(what: &str) -> minijinja::Error {
    minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!("`{what}` would make a list of more than {MAX_ITEMS} items"),
    )
}

/// minijinja's `list`, refused past `MAX_ITEMS` (a long text makes one item per character).
pub fn list(state: &State, value: Value) -> Result<Value, minijinja::Error> {
    let items = value
        .as_str()
        .map(|text| text.chars().count())
        .or_else(|| value.len());
    if items.is_some_and(|items| items > MAX_ITEMS) {
        return Err(too_many("list"));
    }
    minijinja::filters::list(state, value)
}

/// minijinja's `split`, refused past `MAX_ITEMS` pieces.
pub fn split(
    value: &Value,
    separator: Option<std::sync::Arc<str>>,
    maxsplits: Option<i64>,
) -> Result<Value, minijinja::Error> {
    if let Some(text) = value.as_str() {
        let pieces = match separator.as_deref() {
            None => text.split_whitespace().count(),
            Some("") => text.chars().count() + 2,
            Some(separator) => text.matches(separator).count() + 1,
        };
        let limit = maxsplits
            .and_then(|splits| usize::try_from(splits).ok())
            .map_or(usize::MAX, |splits| splits.saturating_add(1));
        if pieces.min(limit) > MAX_ITEMS {
            return Err(too_many("split"));
        }
    }
    minijinja::filters::split(value, separator, maxsplits)
}

/// minijinja's `lines`, refused past `MAX_ITEMS` lines.
pub fn lines(value: &Value) -> Result<Value, minijinja::Error> {
    if value
        .as_str()
        .is_some_and(|text| text.lines().count() > MAX_ITEMS)
    {
        return Err(too_many("lines"));
    }
    minijinja::filters::lines(value)
}

/// minijinja's `escape` (at most six times longer than its input), capped.
pub fn escape(state: &State, value: &Value) -> Result<Value, minijinja::Error> {
    if shown_len(value) > MAX_VALUE_BYTES {
        return Err(too_long("escape"));
    }
    capped("escape", minijinja::filters::escape(state, value)?)
}

/// Where a template override's page is written: refuses to grow past `MAX_PAGE_BYTES`.
#[derive(Default)]
pub struct CappedPage {
    pub html: Vec<u8>,
    pub over: bool,
}

impl std::io::Write for CappedPage {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.html.len() + bytes.len() > MAX_PAGE_BYTES {
            self.over = true;
            return Err(std::io::Error::other("the page is too large"));
        }
        self.html.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `template` into at most `MAX_PAGE_BYTES`; a larger page is an error that says so.
pub fn render_capped(
    template: &minijinja::Template<'_, '_>,
    context: impl serde::Serialize,
) -> Result<String, minijinja::Error> {
    let mut page = CappedPage::default();
    match template.render_captured_to(context, &mut page) {
        Ok(_) => Ok(String::from_utf8(page.html).expect("templates write UTF-8")),
        Err(_) if page.over => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "the page would be larger than {} MB, the most a portal template may write",
                MAX_PAGE_BYTES / (1024 * 1024)
            ),
        )),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(source: &str) -> String {
        check("list", source).expect_err("refused").message
    }

    #[test]
    fn a_template_that_builds_a_value_in_a_loop_is_refused_with_its_line() {
        let source =
            "<ul>\n{% set s = 'x' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}";
        let refusal = check("list", source).unwrap_err();
        assert_eq!(refusal.line, Some(2));
        assert!(
            refusal.message.starts_with("`set` is not available"),
            "{refusal:?}"
        );
        assert!(refused("{% macro m(s) %}{{ m(s ~ s) }}{% endmacro %}").starts_with("macros"));
        assert!(refused("{% filter upper %}x{% endfilter %}").starts_with("`filter` blocks"));
        let doubling_block = "{% block b %}x{{ self.b() ~ self.b() }}{% endblock %}";
        assert!(refused(doubling_block).starts_with("`self.b()` is not available"));
    }

    #[test]
    fn templates_that_show_values_pass() {
        for source in [
            "{% for ticket in page.tickets if ticket.open %}<p>{{ ticket.subject|upper ~ '!' }}</p>{% else %}none{% endfor %}",
            "{{ t('list.title') }} {{ page.count + 1 }} {{ user.name * 2 }} {{ items|map('lower')|join(', ') }}",
            "{% extends 'base' %}{% block content %}{{ super() }}{% endblock %}",
            "{% for x in broken",
        ] {
            assert_eq!(check("list", source), Ok(()), "{source}");
        }
    }

    #[test]
    fn growing_operators_filters_and_functions_are_limited() {
        assert!(refused("{{ 'x' * 1000 }}").starts_with("`*` may only repeat"));
        assert!(refused("{{ ('x' ~ 'y') * 2 }}").starts_with("`*` may only repeat"));
        assert!(refused("{{ 'x'|center(100000000) }}").contains("`center`"));
        assert!(refused("{{ xs|map('center', 100000000) }}").starts_with("`map`"));
        assert!(refused("{{ namespace() }}").contains("`namespace`"));
        assert!(refused("{{ xs|slice(1000000000000) }}").contains("`slice`"));
        assert!(refused("{{ xs|batch(1000000000000, 'x') }}").contains("`batch`"));
        let joins = vec!["a"; MAX_JOINS_PER_EXPRESSION + 2].join(" ~ ");
        assert!(refused(&format!("{{{{ {joins} }}}}")).starts_with("an expression may join"));
        assert!(refused(&"x".repeat(MAX_TEMPLATE_BYTES + 1)).contains("at most 256 KB"));
    }
}
