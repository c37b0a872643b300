//! The static check of an expression: every name and field it reads must exist in the
//! report's shape (`schema.rs`), so `patch.fixd_in` is a load error with a "did you mean", not
//! a rule that silently never fires.

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use super::schema::Shape;

/// CEL's type names, which may appear as identifiers (`type(x) == string`).
const TYPE_NAMES: [&str; 11] = [
    "bool",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
];

/// Walk an expression; return the shape of its value and record reference errors.
pub(super) fn check(
    expr: &IdedExpr,
    scope: &mut Vec<(String, Shape)>,
    errors: &mut Vec<String>,
) -> Shape {
    match &expr.expr {
        Expr::Ident(name) => {
            if let Some((_, shape)) = scope.iter().rev().find(|(n, _)| n == name) {
                return shape.clone();
            }
            if !TYPE_NAMES.contains(&name.as_str()) {
                let known: Vec<&str> = scope
                    .iter()
                    .filter(|(n, _)| !n.starts_with('@'))
                    .map(|(n, _)| n.as_str())
                    .collect();
                errors.push(if name == "patch" {
                    "`patch` is only available to rules with `subject: patch` (use `package.patches`)".to_string()
                } else {
                    format!("unknown name `{name}` (known: {})", known.join(", "))
                });
            }
            Shape::Any
        }
        Expr::Select(select) => {
            let operand = check(&select.operand, scope, errors);
            select_field(&operand, &select.field, &select.operand, errors)
        }
        Expr::Call(call) => {
            let target = call.target.as_ref().map(|t| check(t, scope, errors));
            let args: Vec<Shape> = call.args.iter().map(|a| check(a, scope, errors)).collect();
            if call.func_name == "_[_]" && args.len() == 2 {
                return match &args[0] {
                    Shape::List(element) => (**element).clone(),
                    Shape::Map(value) => (**value).clone(),
                    Shape::Object(_) => match &call.args[1].expr {
                        Expr::Literal(cel::common::ast::LiteralValue::String(key)) => {
                            select_field(&args[0], key.inner(), &call.args[0], errors)
                        }
                        _ => Shape::Any,
                    },
                    _ => Shape::Any,
                };
            }
            drop(target);
            Shape::Any
        }
        Expr::Comprehension(comprehension) => {
            let range = check(&comprehension.iter_range, scope, errors);
            let init = check(&comprehension.accu_init, scope, errors);
            let (first, second) = match &range {
                Shape::List(element) => ((**element).clone(), Shape::Any),
                Shape::Map(value) => (Shape::Scalar, (**value).clone()),
                Shape::Object(_) => (Shape::Scalar, Shape::Any),
                _ => (Shape::Any, Shape::Any),
            };
            // With two variables over a list, the first is the index.
            let (first, second) = match (&comprehension.iter_var2, &range) {
                (Some(_), Shape::List(element)) => (Shape::Scalar, (**element).clone()),
                _ => (first, second),
            };
            let depth = scope.len();
            scope.push((comprehension.iter_var.clone(), first));
            if let Some(var) = &comprehension.iter_var2 {
                scope.push((var.clone(), second));
            }
            scope.push((comprehension.accu_var.clone(), init));
            check(&comprehension.loop_cond, scope, errors);
            check(&comprehension.loop_step, scope, errors);
            let result = check(&comprehension.result, scope, errors);
            scope.truncate(depth);
            result
        }
        Expr::List(list) => {
            for element in &list.elements {
                check(element, scope, errors);
            }
            Shape::List(Box::new(Shape::Any))
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    check(&entry.key, scope, errors);
                    check(&entry.value, scope, errors);
                }
            }
            Shape::Map(Box::new(Shape::Any))
        }
        Expr::Struct(structure) => {
            for entry in &structure.entries {
                if let EntryExpr::StructField(field) = &entry.expr {
                    check(&field.value, scope, errors);
                }
            }
            Shape::Any
        }
        Expr::Literal(_) => Shape::Scalar,
        Expr::Unspecified => Shape::Any,
    }
}

/// The shape of `operand.field`, recording an error for a field the schema does not have.
fn select_field(
    operand: &Shape,
    field: &str,
    operand_expr: &IdedExpr,
    errors: &mut Vec<String>,
) -> Shape {
    match operand {
        Shape::Object(fields) => match fields.iter().find(|(name, _)| *name == field) {
            Some((_, shape)) => shape.clone(),
            None => {
                let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                let mut message = format!(
                    "unknown field `{}.{field}`",
                    path_of(operand_expr).unwrap_or_else(|| "…".to_string())
                );
                if let Some(close) = closest(field, &names) {
                    message.push_str(&format!(" (did you mean `{close}`?)"));
                } else {
                    message.push_str(&format!(" (known: {})", names.join(", ")));
                }
                errors.push(message);
                Shape::Any
            }
        },
        Shape::Map(value) => (**value).clone(),
        Shape::Scalar | Shape::List(_) => {
            errors.push(format!(
                "`{}` has no field `{field}`",
                path_of(operand_expr).unwrap_or_else(|| "…".to_string())
            ));
            Shape::Any
        }
        Shape::Any => Shape::Any,
    }
}

/// `a.b.c` for a chain of selects on a name.
fn path_of(expr: &IdedExpr) -> Option<String> {
    match &expr.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) => Some(format!("{}.{}", path_of(&select.operand)?, select.field)),
        _ => None,
    }
}

/// The known name closest to `word` (edit distance at most 2), for a "did you mean".
fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|name| (strsim::levenshtein(word, name), *name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}
