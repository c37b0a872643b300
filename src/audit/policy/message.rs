//! Sentences for what goes wrong while a rule is evaluated: cel-rust's own messages print its
//! values with Rust's debug format (`Int(1)`, `String("a")`) and name operators as the parser
//! spells them (`_+_`), which a policy author never wrote.

use cel::{ExecutionError, Value};

use super::budget::{Budget, Exhausted};

/// Why a rule's evaluation stopped, and at what budget.
pub fn exhausted(exhausted: Exhausted, budget: &Budget) -> String {
    match exhausted {
        Exhausted::Steps => format!(
            "the evaluation exceeded its budget of {} steps",
            budget.steps
        ),
        Exhausted::Time => format!(
            "the evaluation exceeded its time budget of {} s",
            budget.time.as_secs_f64()
        ),
    }
}

/// An evaluation error as a sentence.
#[allow(deprecated)] // The deprecated variants are still produced by some overloads.
pub fn evaluation(error: &ExecutionError) -> String {
    use ExecutionError as E;
    match error {
        E::InvalidArgumentCount { expected, actual } => {
            format!("expected {expected} argument(s), got {actual}")
        }
        E::UnsupportedTargetType { target } => {
            format!("a method cannot be called on {}", value(target))
        }
        E::NotSupportedAsMethod { method, target } => {
            format!("`{method}` is not a method of {}", value(target))
        }
        E::UnsupportedKeyType(key) => format!("{} cannot be a map key", value(key)),
        E::UnexpectedType { got, want } => format!("expected a `{want}`, got a `{got}`"),
        E::NoSuchKey(key) => format!("no field or key `{key}` (test it with `has()` first)"),
        E::NoSuchOverload(overload) => {
            let types = overload.argument_types().join("`, `");
            format!(
                "`{}` does not apply to `{types}`",
                operator(overload.function())
            )
        }
        E::UndeclaredReference(name) => format!("unknown name `{}`", operator(name)),
        E::MissingArgumentOrTarget => "a function is missing its argument".to_string(),
        E::ValuesNotComparable(left, right) => {
            format!("{} cannot be compared with {}", value(left), value(right))
        }
        E::UnsupportedUnaryOperator(op, operand) => {
            format!("`{}` does not apply to {}", operator(op), value(operand))
        }
        E::UnsupportedBinaryOperator(op, left, right) | E::Overflow(op, left, right) => {
            let what = if matches!(error, E::Overflow(..)) {
                "overflows on"
            } else {
                "does not apply to"
            };
            // These name the operator by its trait: `add`, not `+`.
            let symbol = match *op {
                "add" => "+",
                "sub" => "-",
                "mul" => "*",
                "div" => "/",
                "rem" => "%",
                other => other,
            };
            format!(
                "`{}` {what} {} and {}",
                operator(symbol),
                value(left),
                value(right)
            )
        }
        E::UnsupportedMapIndex(index) | E::UnsupportedListIndex(index) => {
            format!("{} cannot be an index", value(index))
        }
        E::UnsupportedIndex(index, target) => {
            format!("{} cannot index {}", value(index), value(target))
        }
        E::FunctionError { function, message } => {
            // One line: a regular expression's error spans several (the pattern, a caret,
            // then the reason); keep the first and the reason.
            let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or_default();
            let message = match lines.next_back() {
                Some(last) => format!("{first} {}", last.trim_start_matches("error: ")),
                None => first.to_string(),
            };
            format!("`{}` failed: {message}", operator(function))
        }
        E::DivisionByZero(number) => format!("division of {} by zero", value(number)),
        E::RemainderByZero(number) => format!("remainder of {} by zero", value(number)),
        E::IndexOutOfBounds(index) => format!("index {} is out of bounds", value(index)),
        E::DuplicateKey(key) => format!("the map literal repeats the key {}", value(key)),
        E::InternalError(message) => format!("internal error of the CEL interpreter: {message}"),
        _ => "the expression cannot be evaluated".to_string(),
    }
}

/// `_+_` as `+`, `@in` as `in`, `@replace` as `replace`: as the policy wrote it.
fn operator(name: &str) -> String {
    let name = name.strip_prefix('@').unwrap_or(name);
    match name {
        "_[_]" => "[]".to_string(),
        "_[?_]" => "[?]".to_string(),
        "_?_:_" => "? :".to_string(),
        other => other.trim_matches('_').to_string(),
    }
}

/// A value as CEL would write it, shortened: `1`, `'text'`, `a list of 3`.
fn value(value: &Value) -> String {
    const LONGEST: usize = 40;
    match value {
        Value::Int(number) => format!("`{number}`"),
        Value::UInt(number) => format!("`{number}u`"),
        Value::Float(number) => format!("`{number}`"),
        Value::Bool(boolean) => format!("`{boolean}`"),
        Value::Null => "`null`".to_string(),
        Value::String(text) => {
            let mut shown: String = text.chars().take(LONGEST).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            format!("`'{shown}'`")
        }
        Value::List(items) => format!("a list of {}", items.len()),
        Value::Map(map) => format!("a map of {}", map.map.len()),
        other => format!("a `{}`", other.type_of()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_of(source: &str) -> String {
        let env = std::sync::Arc::new(cel::Env::stdlib());
        let program = env.compile(source).unwrap();
        let context = cel::Context::with_env(env);
        evaluation(&program.execute(&context).unwrap_err())
    }

    #[test]
    fn evaluation_errors_are_sentences_without_debug_text() {
        for (source, expected) in [
            ("1 + 'a'", "`+` does not apply to `1` and `'a'`"),
            (
                "'a'.matches('(')",
                "`matches` failed: '(' not a valid regex: unclosed group",
            ),
            ("'a' < 1", "`<` does not apply to `string`, `int`"),
            (
                "{'a': 1}.b",
                "no field or key `b` (test it with `has()` first)",
            ),
            ("1 / 0", "division of `1` by zero"),
            ("[1][3]", "index `3` is out of bounds"),
            ("nope", "unknown name `nope`"),
        ] {
            let message = message_of(source);
            assert_eq!(message, expected, "{source}");
        }
    }

    #[test]
    fn operators_read_as_written() {
        assert_eq!(operator("_+_"), "+");
        assert_eq!(operator("_==_"), "==");
        assert_eq!(operator("!_"), "!");
        assert_eq!(operator("_[_]"), "[]");
        assert_eq!(operator("@in"), "in");
        assert_eq!(operator("@replace"), "replace");
        assert_eq!(operator("size"), "size");
    }
}
