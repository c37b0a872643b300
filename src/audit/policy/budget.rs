//! The evaluation budget of a policy rule: a count of steps, and a time limit as a backstop.
//!
//! cel-rust has no step counter, so a policy could loop for hours (three nested `all()` over
//! 1,000-element lists is 10⁹ iterations) or build values that double in size at each level.
//! Each rule's expressions are rewritten once, when the rule is compiled, so that the values
//! the interpreter walks or copies pass through `@charge` (a name CEL source cannot write):
//! the range of every comprehension, the arguments and receivers of calls (`==`, `in`, `+`,
//! `matches`, `replace`, …), the elements of list and map literals and the result of `x[i]`.
//! `@charge` costs one step per scalar, list element or map entry of the value (deep) and one
//! per [`STRING_BYTES_PER_STEP`] bytes of text, so a step is roughly one unit of the
//! interpreter's work. `replace` and `join`, the two functions whose result can be far larger
//! than their arguments, are charged for the size of their result before they build it.
//!
//! Steps are counted per evaluation of a rule (its `when` and `require` together) on the
//! evaluating thread; the time limit is checked every [`CHECK_TIME_EVERY`] charges, for work
//! that costs much more than its steps (a long regular expression compiled at each
//! iteration). An exhausted budget stops the evaluation at the next charge.

use std::cell::Cell;
use std::time::{Duration, Instant};

use cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr, ListExpr, operators};
use cel::common::types::{
    CelBytes, CelInt, CelList, CelMap, CelMapKey, CelString, DYN_TYPE, INT_TYPE, LIST_TYPE,
    STRING_TYPE,
};
use cel::common::value::{CowVal, Val};
use cel::{Env, ExecutionError};

/// Default steps per evaluation of a rule. Measured (release build): each shipped rule takes
/// under 10 steps per evaluation; a rule that scans `package.patches` for every patch takes
/// about 60 steps per patch of the package (measured on 310), so it fits some 15,000
/// patches. A step costs at most about 0.5 µs (arithmetic in nested loops), so a rule stops
/// within about half a second, where three nested `all()` over 1,000-element lists ran for
/// hours.
pub const DEFAULT_STEPS: u64 = 1_000_000;

/// Default time per evaluation of a rule: a backstop for work that costs far more than its
/// steps say (a long regular expression compiled again at each iteration). Twenty times what
/// the default steps take at their slowest.
pub const DEFAULT_TIME: Duration = Duration::from_secs(10);

/// Bytes of a string or bytes value that cost one step (copying or comparing them is cheap
/// next to a step of the interpreter).
pub const STRING_BYTES_PER_STEP: u64 = 32;

/// Charges between two readings of the clock (reading it at every charge would cost more
/// than the charge itself).
const CHECK_TIME_EVERY: u32 = 64;

/// The charging functions (deep, and top level only); `@` keeps them out of reach of policy
/// source.
const CHARGE: &str = "@charge";
const TOUCH: &str = "@touch";
/// `replace` and `join`, charged for their result before they build it.
const REPLACE: &str = "@replace";
const JOIN: &str = "@join";

/// How much one evaluation of a rule may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Steps (see the module documentation), default [`DEFAULT_STEPS`].
    pub steps: u64,
    /// Wall time, default [`DEFAULT_TIME`].
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            steps: DEFAULT_STEPS,
            time: DEFAULT_TIME,
        }
    }
}

/// Which part of a budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    Steps,
    Time,
}

#[derive(Clone, Copy)]
struct Meter {
    left: u64,
    deadline: Instant,
    charges: u32,
    exhausted: Option<Exhausted>,
}

thread_local! {
    /// The meter of the evaluation running on this thread; `None` outside [`metered`].
    static METER: Cell<Option<Meter>> = const { Cell::new(None) };
}

/// Run `evaluate` under `budget` on this thread: its result, or which budget ran out (then the
/// result is meaningless: an `all()` may have turned the budget's error into `false`).
pub fn metered<T>(budget: Budget, evaluate: impl FnOnce() -> T) -> Result<T, Exhausted> {
    let meter = Meter {
        left: budget.steps,
        deadline: Instant::now()
            .checked_add(budget.time)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365)),
        charges: 0,
        exhausted: None,
    };
    let outer = METER.replace(Some(meter));
    let result = evaluate();
    let meter = METER.replace(outer);
    match meter.and_then(|m| m.exhausted) {
        Some(exhausted) => Err(exhausted),
        None => Ok(result),
    }
}

/// Spend `cost` steps; an error once the budget is gone (and at every charge after).
fn spend(cost: u64) -> Result<(), ExecutionError> {
    METER.with(|cell| {
        let Some(mut meter) = cell.get() else {
            return Ok(());
        };
        if meter.exhausted.is_none() {
            meter.charges = meter.charges.wrapping_add(1);
            if cost > meter.left {
                meter.left = 0;
                meter.exhausted = Some(Exhausted::Steps);
            } else {
                meter.left -= cost;
                if meter.charges.is_multiple_of(CHECK_TIME_EVERY)
                    && Instant::now() >= meter.deadline
                {
                    meter.exhausted = Some(Exhausted::Time);
                }
            }
            cell.set(Some(meter));
        }
        match meter.exhausted {
            None => Ok(()),
            Some(_) => Err(ExecutionError::function_error(
                "budget",
                "the rule's evaluation budget is exhausted",
            )),
        }
    })
}

/// The steps left on this thread's meter (everything when none runs).
fn left() -> u64 {
    METER.with(|cell| cell.get().map_or(u64::MAX, |m| m.left))
}

/// The cost of `value`, walked no further than `cap` steps.
fn cost(value: &dyn Val, cap: u64) -> u64 {
    fn text(bytes: usize) -> u64 {
        1 + bytes as u64 / STRING_BYTES_PER_STEP
    }
    if let Some(string) = value.downcast_ref::<CelString>() {
        return text(string.len());
    }
    if let Some(bytes) = value.downcast_ref::<CelBytes>() {
        return text(bytes.len());
    }
    let mut total = 1u64;
    if let Some(list) = value.downcast_ref::<CelList>() {
        for item in list.iter() {
            total = total.saturating_add(cost(item.as_ref(), cap));
            if total > cap {
                break;
            }
        }
    } else if let Some(map) = value.downcast_ref::<CelMap>() {
        for (key, item) in map.iter() {
            let key = match key {
                CelMapKey::String(s) => text(s.len()),
                _ => 1,
            };
            total = total
                .saturating_add(key)
                .saturating_add(cost(item.as_ref(), cap));
            if total > cap {
                break;
            }
        }
    } else if let Some(iterable) = value.as_iterable() {
        // Another list type (`map()` builds its own): walk its elements the same way.
        let mut items = iterable.iter();
        while let Some(item) = items.next() {
            total = total.saturating_add(cost(item, cap));
            if total > cap {
                break;
            }
        }
    }
    total
}

/// `@charge(x)`: spend the cost of `x`, then hand it on untouched.
fn charge<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let value = single(args)?;
    spend(cost(value.as_ref(), left()))?;
    Ok(value)
}

/// `@touch(x)`: spend the cost of `x`'s top level (its text, or one step), then hand it on.
fn touch<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let value = single(args)?;
    spend(cost(value.as_ref(), 0))?;
    Ok(value)
}

fn single<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    match (args.pop(), args.is_empty()) {
        (Some(value), true) => Ok(value),
        _ => Err(ExecutionError::invalid_argument_count(1, args.len() + 1)),
    }
}

fn string<'a>(value: &'a CowVal<'_, '_>) -> Result<&'a str, ExecutionError> {
    value
        .downcast_ref::<CelString>()
        .map(|s| &**s)
        .ok_or_else(|| ExecutionError::function_error("replace", "expects strings"))
}

/// `@replace(s, old, new[, n])`: the strings extension's `replace`, charged for the size of
/// its result first (`''.replace('', x)` and chained replaces grow text geometrically).
fn replace<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (text, old, new) = match args.as_slice() {
        [text, old, new] | [text, old, new, _] => (string(text)?, string(old)?, string(new)?),
        _ => return Err(ExecutionError::invalid_argument_count(3, args.len())),
    };
    let limit = match args.get(3) {
        Some(n) => {
            let n = n
                .downcast_ref::<CelInt>()
                .map(|n| *n.inner())
                .ok_or_else(|| ExecutionError::function_error("replace", "expects an int"))?;
            usize::try_from(n).ok()
        }
        None => None,
    };
    // Occurrences, counted without building anything (an empty `old` matches between every
    // character and at both ends, as `str::replace` does).
    let found = if old.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(old).count()
    };
    let found = limit.map_or(found, |n| found.min(n)) as u64;
    let size = (text.len() as u64).saturating_add(found.saturating_mul(new.len() as u64));
    spend(1 + size / STRING_BYTES_PER_STEP)?;
    let result = match limit {
        Some(n) => text.replacen(old, new, n),
        None => text.replace(old, new),
    };
    Ok(CowVal::owned(CelString::from(result)))
}

/// `@join(list[, separator])`: the strings extension's `join`, charged for its result first
/// (a long separator between many elements).
fn join<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (list, separator) = match args.as_slice() {
        [list] => (list, ""),
        [list, separator] => (list, string(separator)?),
        _ => return Err(ExecutionError::invalid_argument_count(1, args.len())),
    };
    let not_strings = || ExecutionError::function_error("join", "expects a list of strings");
    let iterable = list.as_iterable().ok_or_else(not_strings)?;
    let mut parts: Vec<&str> = Vec::new();
    let mut items = iterable.iter();
    while let Some(item) = items.next() {
        parts.push(
            item.downcast_ref::<CelString>()
                .map(|s| &**s)
                .ok_or_else(not_strings)?,
        );
    }
    let size = parts
        .iter()
        .map(|p| p.len() as u64)
        .sum::<u64>()
        .saturating_add(
            (parts.len().saturating_sub(1) as u64).saturating_mul(separator.len() as u64),
        );
    spend(1 + size / STRING_BYTES_PER_STEP)?;
    Ok(CowVal::owned(CelString::from(parts.join(separator))))
}

/// Declare `@charge`, `@touch`, `@replace` and `@join` in `env`.
pub fn register(env: &mut Env) {
    // Fresh names on an environment being built: declaring them cannot conflict.
    let _ = env.add_overload(CHARGE, "@charge_dyn", vec![DYN_TYPE], charge);
    let _ = env.add_overload(TOUCH, "@touch_dyn", vec![DYN_TYPE], touch);
    let three = vec![STRING_TYPE, STRING_TYPE, STRING_TYPE];
    let _ = env.add_overload(REPLACE, "@replace_3", three, replace);
    let four = vec![STRING_TYPE, STRING_TYPE, STRING_TYPE, INT_TYPE];
    let _ = env.add_overload(REPLACE, "@replace_4", four, replace);
    let _ = env.add_overload(JOIN, "@join_1", vec![LIST_TYPE], join);
    let _ = env.add_overload(JOIN, "@join_2", vec![LIST_TYPE, STRING_TYPE], join);
}

/// `expr` with its charges in (see the module documentation). `variables` are the names the
/// evaluation binds (`patch`, the package's); a call on any other name (`strings.quote(x)`)
/// is a call of a namespaced function, not a method of a value.
pub fn instrument(expr: &IdedExpr, variables: &[&str]) -> IdedExpr {
    let mut scope: Vec<String> = variables.iter().map(|v| v.to_string()).collect();
    Instrument { scope: &mut scope }.expr(expr)
}

struct Instrument<'a> {
    /// The variables in scope: the evaluation's, then the iteration variables of macros.
    scope: &'a mut Vec<String>,
}

impl Instrument<'_> {
    fn expr(&mut self, expr: &IdedExpr) -> IdedExpr {
        let id = expr.id;
        let expr = match &expr.expr {
            Expr::Call(call) => return self.call(id, call),
            Expr::Comprehension(comprehension) => {
                let mut comprehension = comprehension.clone();
                comprehension.iter_range = self.charged(&comprehension.iter_range);
                comprehension.accu_init = self.expr(&comprehension.accu_init);
                let depth = self.scope.len();
                self.scope.push(comprehension.iter_var.clone());
                self.scope.extend(comprehension.iter_var2.clone());
                comprehension.loop_cond = self.expr(&comprehension.loop_cond);
                comprehension.loop_step = self.expr(&comprehension.loop_step);
                comprehension.result = self.expr(&comprehension.result);
                self.scope.truncate(depth);
                Expr::Comprehension(comprehension)
            }
            Expr::List(list) => Expr::List(ListExpr {
                elements: list.elements.iter().map(|e| self.charged(e)).collect(),
                optional_indices: list.optional_indices.clone(),
            }),
            Expr::Map(map) => {
                let mut map = map.clone();
                for entry in &mut map.entries {
                    if let EntryExpr::MapEntry(entry) = &mut entry.expr {
                        entry.key = self.charged(&entry.key);
                        entry.value = self.charged(&entry.value);
                    }
                }
                Expr::Map(map)
            }
            Expr::Select(select) => {
                let mut select = select.clone();
                // A chain of names (`patch.header.cves`) stays as it is: the interpreter looks
                // it up in one go, and `has()` needs it so.
                if qualified_name(&select.operand).is_none() {
                    *select.operand = self.expr(&select.operand);
                }
                Expr::Select(select)
            }
            Expr::Struct(structure) => {
                let mut structure = structure.clone();
                for entry in &mut structure.entries {
                    if let EntryExpr::StructField(field) = &mut entry.expr {
                        field.value = self.charged(&field.value);
                    }
                }
                Expr::Struct(structure)
            }
            other => other.clone(),
        };
        IdedExpr { id, expr }
    }

    fn call(&mut self, id: u64, call: &CallExpr) -> IdedExpr {
        let make = |func_name: &str, target: Option<IdedExpr>, args: Vec<IdedExpr>| IdedExpr {
            id,
            expr: Expr::Call(CallExpr {
                func_name: func_name.to_string(),
                target: target.map(Box::new),
                args,
            }),
        };
        let accumulates = matches!(
            call.args.first().map(|a| &a.expr),
            Some(Expr::Ident(name)) if name.starts_with('@')
        );
        let name = call.func_name.as_str();
        match name {
            // Booleans and a choice copy nothing; `@result + [x]` must keep its shape, which
            // the interpreter recognises to append in place (`[x]` is charged as a list).
            operators::LOGICAL_AND
            | operators::LOGICAL_OR
            | operators::LOGICAL_NOT
            | operators::CONDITIONAL
            | operators::NOT_STRICTLY_FALSE => {
                let args = call.args.iter().map(|a| self.expr(a)).collect();
                make(name, None, args)
            }
            operators::ADD if accumulates => {
                let args = call.args.iter().map(|a| self.expr(a)).collect();
                make(name, None, args)
            }
            // `x[i]` borrows from `x` and copies the element: charge what it copies.
            operators::INDEX | operators::OPT_INDEX | operators::OPT_SELECT => {
                let args = call.args.iter().map(|a| self.expr(a)).collect();
                wrap(CHARGE, make(name, None, args))
            }
            // The size of a list or map is known without walking it.
            "size" if call.args.len() + usize::from(call.target.is_some()) == 1 => {
                let target = call.target.as_deref().map(|t| self.touched(t));
                let args = call.args.iter().map(|a| self.touched(a)).collect();
                make(name, target, args)
            }
            "replace" | "join" if self.is_method(call) => {
                let (function, arity) = if name == "replace" {
                    (REPLACE, 2..=3)
                } else {
                    (JOIN, 0..=1)
                };
                let target = call.target.as_deref().expect("a method has a target");
                let mut args = vec![self.charged(target)];
                args.extend(call.args.iter().map(|a| self.charged(a)));
                if arity.contains(&call.args.len()) {
                    make(function, None, args)
                } else {
                    let target = args.remove(0);
                    make(name, Some(target), args)
                }
            }
            _ => {
                let target = call.target.as_deref().map(|t| {
                    if self.is_value(t) {
                        self.charged(t)
                    } else {
                        t.clone()
                    }
                });
                let args = call.args.iter().map(|a| self.charged(a)).collect();
                make(name, target, args)
            }
        }
    }

    /// `x.f(…)` on a value `x`, not a namespaced function.
    fn is_method(&self, call: &CallExpr) -> bool {
        call.target.as_deref().is_some_and(|t| self.is_value(t))
    }

    /// Whether `expr` is a value rather than a namespace (`strings` in `strings.quote`).
    fn is_value(&self, expr: &IdedExpr) -> bool {
        match qualified_name(expr) {
            Some(root) => self.scope.iter().any(|v| v == root),
            None => true,
        }
    }

    /// `@charge(expr)`, instrumented inside; literals and macro accumulators as they are.
    fn charged(&mut self, expr: &IdedExpr) -> IdedExpr {
        match &expr.expr {
            Expr::Literal(_) => expr.clone(),
            Expr::Ident(name) if name.starts_with('@') => expr.clone(),
            _ => wrap(CHARGE, self.expr(expr)),
        }
    }

    /// `@touch(expr)`: charged for its top level only.
    fn touched(&mut self, expr: &IdedExpr) -> IdedExpr {
        match &expr.expr {
            Expr::Literal(_) => expr.clone(),
            _ => wrap(TOUCH, self.expr(expr)),
        }
    }
}

/// The first name of `a.b.c` (names and field selections only), as the interpreter resolves
/// such a chain in one go: as a variable, a namespace or a qualified function.
fn qualified_name(expr: &IdedExpr) -> Option<&str> {
    match &expr.expr {
        Expr::Ident(name) => Some(name),
        Expr::Select(select) if !select.test => qualified_name(&select.operand),
        _ => None,
    }
}

fn wrap(function: &str, expr: IdedExpr) -> IdedExpr {
    IdedExpr {
        id: expr.id,
        expr: Expr::Call(CallExpr {
            func_name: function.to_string(),
            target: None,
            args: vec![expr],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn env() -> Arc<Env> {
        let mut env = Env::stdlib();
        let _ = env.add_extension(cel::extensions::strings);
        register(&mut env);
        Arc::new(env)
    }

    /// Evaluate `source` instrumented, under `steps`: the value, or which budget ran out.
    fn run(source: &str, steps: u64) -> Result<cel::ResolveResult, Exhausted> {
        let env = env();
        let program = env.compile(source).unwrap();
        let expr = instrument(program.expression(), &[]);
        let context = cel::Context::with_env(env);
        let budget = Budget {
            steps,
            time: DEFAULT_TIME,
        };
        metered(budget, || cel::Value::resolve(&expr, &context))
    }

    fn value(source: &str) -> cel::Value {
        run(source, DEFAULT_STEPS).unwrap().unwrap()
    }

    #[test]
    fn instrumented_expressions_keep_their_meaning() {
        for (source, expected) in [
            ("[1, 2, 3].map(x, x * 2) == [2, 4, 6]", true),
            ("[1, 2, 3].filter(x, x > 1) == [2, 3]", true),
            ("[1, 2, 3].exists_one(x, x == 2)", true),
            (
                "[1, 2, 3].all(x, x > 0) && !['a'].exists(x, x == 'b')",
                true,
            ),
            ("{'a': [1, 2]}['a'][1] == 2", true),
            ("has({'a': 1}.a) && !has({'a': 1}.b)", true),
            ("'a-b-c'.replace('-', '+') == 'a+b+c'", true),
            ("'a-b-c'.replace('-', '', 1) == 'ab-c'", true),
            ("'a-b-c'.replace('-', '', -1) == 'abc'", true),
            ("'ab'.replace('', '.') == '.a.b.'", true),
            (
                "['a', 'b'].join() == 'ab' && ['a', 'b'].join(', ') == 'a, b'",
                true,
            ),
            ("'x'.lowerAscii() + 'Y'.lowerAscii() == 'xy'", true),
            ("size([1, 2] + [3]) == 3 && 2 in [1, 2]", true),
            ("{'a': 1}.map(k, k) == ['a']", true),
        ] {
            assert_eq!(value(source), cel::Value::Bool(expected), "{source}");
        }
    }

    #[test]
    fn a_join_of_non_strings_is_an_error_not_a_panic() {
        assert!(run("[1, 2].join('-')", DEFAULT_STEPS).unwrap().is_err());
    }

    #[test]
    fn nested_comprehensions_run_out_of_steps() {
        let list = format!(
            "[{}]",
            (0..1000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let source = format!("{list}.all(a, {list}.all(b, {list}.all(c, a + b + c >= 0)))");
        assert_eq!(run(&source, DEFAULT_STEPS).err(), Some(Exhausted::Steps));
    }

    #[test]
    fn doubling_values_run_out_of_steps() {
        // Each level doubles the string: 2^40 bytes at the end.
        let mut source = "'ab'".to_string();
        for _ in 0..40 {
            source = format!("[{source}].map(s, s + s)[0]");
        }
        assert_eq!(
            run(&format!("size({source}) > 0"), DEFAULT_STEPS).err(),
            Some(Exhausted::Steps)
        );
        let replaces =
            "'aaaaaaaaaa'".to_string() + &".replace('a', 'aaaaaaaaaa')".repeat(12) + " != ''";
        assert_eq!(run(&replaces, DEFAULT_STEPS).err(), Some(Exhausted::Steps));
        let join =
            "[1, 2, 3].map(x, 'a'.replace('', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))";
        assert!(run(join, DEFAULT_STEPS).is_ok());
    }

    #[test]
    fn a_false_after_the_budget_ran_out_is_still_exhaustion() {
        // `error && false` is `false` in CEL: the meter, not the result, decides.
        let source =
            "[1, 2, 3, 4, 5, 6, 7, 8].all(x, [1, 2, 3, 4, 5, 6, 7, 8].all(y, y > 0) && x < 8)";
        assert_eq!(
            run(source, 1_000).unwrap().unwrap(),
            cel::Value::Bool(false)
        );
        assert_eq!(run(source, 20).err(), Some(Exhausted::Steps));
    }

    #[test]
    fn no_time_left_stops_at_a_clock_reading() {
        let env = env();
        let program = env.compile("[1, 2, 3].map(x, [x, x]).size() > 0").unwrap();
        let expr = instrument(program.expression(), &[]);
        let context = cel::Context::with_env(env);
        let list = (0..200)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let busy = env_compile(&format!("[{list}].all(x, x >= 0)"));
        let budget = Budget {
            steps: DEFAULT_STEPS,
            time: Duration::ZERO,
        };
        let outcome = metered(budget, || cel::Value::resolve(&busy, &context));
        assert_eq!(outcome.err(), Some(Exhausted::Time));
        // Fewer charges than one clock reading: done before the clock is looked at.
        assert!(metered(budget, || cel::Value::resolve(&expr, &context)).is_ok());
    }

    fn env_compile(source: &str) -> IdedExpr {
        instrument(env().compile(source).unwrap().expression(), &[])
    }
}
