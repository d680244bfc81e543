//! testbound's macros (replay.h): `ASSIGN var = expr` and `${...}` text substitution with `$var`,
//! numbers, `+ - * /` left to right, and the functions `time` and `range`. Bounded; never panics.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::replay::limits::{MAX_EXPANDED_BYTES, MAX_MACRO_DEPTH, MAX_VARIABLES};

/// Why a macro could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpressionError {
    Unterminated(String),
    TooDeep,
    TooLong,
    TooManyVariables,
    NotANumber(String),
    DivisionByZero,
    OutOfRange(String),
    /// `ctime` and `timeout` read Unbound internals (its timer list, libc's date text).
    UnsupportedFunction(String),
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpressionError::Unterminated(text) => write!(f, "`${{` without `}}` in `{text}`"),
            ExpressionError::TooDeep => write!(f, "macros nested deeper than {MAX_MACRO_DEPTH}"),
            ExpressionError::TooLong => {
                write!(f, "expansion longer than {MAX_EXPANDED_BYTES} bytes")
            }
            ExpressionError::TooManyVariables => write!(f, "more than {MAX_VARIABLES} variables"),
            ExpressionError::NotANumber(text) => write!(f, "`{text}` is not a number"),
            ExpressionError::DivisionByZero => write!(f, "division by zero"),
            ExpressionError::OutOfRange(text) => write!(f, "value {text} out of range"),
            ExpressionError::UnsupportedFunction(name) => {
                write!(f, "macro function `{name}` is not supported")
            }
        }
    }
}

impl std::error::Error for ExpressionError {}

/// The variables `ASSIGN` steps have set.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl Variables {
    /// replay.h: the value is expanded when the ASSIGN step runs, then stored as text.
    pub fn assign(&mut self, name: &str, value: String) -> Result<(), ExpressionError> {
        if !self.values.contains_key(name) && self.values.len() >= MAX_VARIABLES {
            return Err(ExpressionError::TooManyVariables);
        }
        self.values.insert(name.to_owned(), value);
        Ok(())
    }

    /// Replaces every `${...}` in `text` by its value; `now` is the simulated time for `time`.
    pub fn expand(&self, text: &str, now: Duration) -> Result<String, ExpressionError> {
        self.expand_at(text, now, 0)
    }

    /// A whole expression (with or without `${}` around it) as a number: `TIME_PASSES EVAL`.
    pub fn evaluate_number(&self, text: &str, now: Duration) -> Result<f64, ExpressionError> {
        let expanded = self.expand(text, now)?;
        let value = self.evaluate(expanded.trim(), now)?;
        value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .ok_or(ExpressionError::NotANumber(value))
    }

    fn expand_at(
        &self,
        text: &str,
        now: Duration,
        depth: usize,
    ) -> Result<String, ExpressionError> {
        if depth > MAX_MACRO_DEPTH {
            return Err(ExpressionError::TooDeep);
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let inner_start = start + 2;
            let end = matching_brace(&rest[inner_start..])
                .ok_or_else(|| ExpressionError::Unterminated(text.to_owned()))?;
            let inner = self.expand_at(&rest[inner_start..inner_start + end], now, depth + 1)?;
            out.push_str(&self.evaluate(inner.trim(), now)?);
            rest = &rest[inner_start + end + 1..];
            if out.len() > MAX_EXPANDED_BYTES {
                return Err(ExpressionError::TooLong);
            }
        }
        out.push_str(rest);
        if out.len() > MAX_EXPANDED_BYTES {
            return Err(ExpressionError::TooLong);
        }
        Ok(out)
    }

    /// One macro body, its nested macros already expanded.
    fn evaluate(&self, body: &str, now: Duration) -> Result<String, ExpressionError> {
        let words: Vec<&str> = body.split_whitespace().collect();
        match words.as_slice() {
            ["time"] => return Ok(format_number(now.as_secs_f64().floor())),
            ["range", lower, value, upper] => {
                let (lower, number, upper) = (
                    self.number(lower)?,
                    self.number(value)?,
                    self.number(upper)?,
                );
                return if lower <= number && number <= upper {
                    Ok(format_number(number))
                } else {
                    Err(ExpressionError::OutOfRange(format!(
                        "{number} not in {lower}..{upper}"
                    )))
                };
            }
            [name, ..] if *name == "ctime" || *name == "timeout" => {
                return Err(ExpressionError::UnsupportedFunction((*name).to_owned()))
            }
            [single] if single.starts_with('$') && self.number(single).is_err() => {
                return Ok(self.lookup(single).to_owned());
            }
            _ => {}
        }
        // Arithmetic, strictly left to right (replay.h: "no precedence rules").
        let mut value: Option<f64> = None;
        let mut operator = '+';
        let mut term = String::new();
        for character in body.chars().chain(std::iter::once('\0')) {
            let is_operator = matches!(character, '+' | '-' | '*' | '/')
                && !(character == '-' && term.trim().is_empty() && value.is_none());
            if is_operator || character == '\0' {
                let number = self.number(term.trim())?;
                value = Some(match (value, operator) {
                    (None, _) => number,
                    (Some(left), '+') => left + number,
                    (Some(left), '-') => left - number,
                    (Some(left), '*') => left * number,
                    (Some(_), _) if number == 0.0 => return Err(ExpressionError::DivisionByZero),
                    (Some(left), _) => left / number,
                });
                operator = character;
                term.clear();
            } else {
                term.push(character);
            }
        }
        value
            .filter(|number| number.is_finite())
            .map(format_number)
            .ok_or_else(|| ExpressionError::NotANumber(body.to_owned()))
    }

    fn lookup(&self, word: &str) -> &str {
        // replay.h: an unknown variable is the empty string.
        self.values
            .get(word.trim_start_matches('$'))
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn number(&self, word: &str) -> Result<f64, ExpressionError> {
        let text = if word.starts_with('$') {
            self.lookup(word)
        } else {
            word
        };
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .ok_or_else(|| ExpressionError::NotANumber(word.to_owned()))
    }
}

/// The index of the `}` closing a macro whose body starts `text`.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if index > 0 && bytes[index - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Whole numbers print without a fraction, as Unbound's `%d`-style output does.
fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(1000);

    #[test]
    fn arithmetic_is_left_to_right_and_brackets_are_nested_macros() {
        let variables = Variables::default();
        assert_eq!(variables.expand("${2+3*4}", NOW).unwrap(), "20");
        assert_eq!(variables.expand("${2+${3*4}}", NOW).unwrap(), "14");
        assert_eq!(variables.expand("t=${time} s", NOW).unwrap(), "t=1000 s");
        assert_eq!(variables.evaluate_number("${10/4}", NOW).unwrap(), 2.5);
    }

    #[test]
    fn assigned_variables_are_used_and_range_checks_bounds() {
        let mut variables = Variables::default();
        variables
            .assign("ttl", variables.expand("${3600 - 10}", NOW).unwrap())
            .unwrap();
        assert_eq!(variables.expand("${$ttl + 10}", NOW).unwrap(), "3600");
        assert_eq!(
            variables.expand("${range 3000 $ttl 3600}", NOW).unwrap(),
            "3590"
        );
        assert!(variables.expand("${range 0 $ttl 10}", NOW).is_err());
        assert_eq!(variables.expand("${$unknown}", NOW).unwrap(), "");
    }

    #[test]
    fn hostile_macros_are_errors_not_panics() {
        let variables = Variables::default();
        assert!(matches!(
            variables.expand("${1+", NOW),
            Err(ExpressionError::Unterminated(_))
        ));
        assert_eq!(
            variables.expand("${1/0}", NOW),
            Err(ExpressionError::DivisionByZero)
        );
        assert!(variables.expand("${ctime 5}", NOW).is_err());
        assert!(variables.expand("${abc}", NOW).is_err());
        let deep = format!("{}1{}", "${".repeat(40), "}".repeat(40));
        assert_eq!(variables.expand(&deep, NOW), Err(ExpressionError::TooDeep));
    }
}
