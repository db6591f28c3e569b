//! Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!legacy,replicas>2`), as
//! Kustomize matches them against an object's labels or annotations: the
//! `labelSelector` and `annotationSelector` of patch targets, replacements and vars.
//! Keys and values are checked as Kubernetes checks them.

use crate::kustomize::node::Node;

/// A parsed selector: every requirement must hold. Empty selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Why a selector does not parse: the requirement at fault (its text between commas,
/// empty for a missing one) and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("selector `{selector}`: {reason}")]
pub struct SelectorError {
    pub selector: String,
    pub requirement: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Exists,
    DoesNotExist,
    In,
    NotIn,
    Greater(i64),
    Less(i64),
}

impl LabelSelector {
    /// Parses a selector.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let fail = |index: usize, reason: String| SelectorError {
            selector: text.to_owned(),
            requirement: split_requirements(text)
                .get(index)
                .map_or("", |part| part.trim())
                .to_owned(),
            reason,
        };
        let tokens = tokens(text);
        let mut rest = tokens.as_slice();
        let mut requirements = Vec::new();
        while !rest.is_empty() {
            let index = requirements.len();
            let (requirement, after) = Requirement::parse(rest).map_err(|r| fail(index, r))?;
            requirement.validate().map_err(|r| fail(index, r))?;
            requirements.push(requirement);
            rest = match after {
                [] => after,
                [Token::Comma, more @ ..] if !more.is_empty() => more,
                // A comma with nothing after it: the requirement after it is missing.
                [Token::Comma] => {
                    return Err(fail(index + 1, "expected `,` between requirements".into()));
                }
                _ => return Err(fail(index, "expected `,` between requirements".into())),
            };
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether labels (or annotations) looked up by key satisfy it.
    pub fn matches<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let found = labels(&r.key);
            match r.op {
                Op::Exists => found.is_some(),
                Op::DoesNotExist => found.is_none(),
                Op::In => found.is_some_and(|v| r.values.iter().any(|w| w == v)),
                // Kubernetes: a missing key satisfies `!=` and `notin`.
                Op::NotIn => found.is_none_or(|v| r.values.iter().all(|w| w != v)),
                Op::Greater(n) => found
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > n),
                Op::Less(n) => found
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < n),
            }
        })
    }

    /// Whether a `labels` or `annotations` mapping (none when the object has none)
    /// satisfies it; a value that is not a scalar counts as empty.
    pub fn matches_map(&self, map: Option<&Node>) -> bool {
        self.matches(|key| {
            map.and_then(|m| m.get(key))
                .map(|v| v.as_scalar().map_or("", |s| s.text.as_str()))
        })
    }
}

/// The selector syntax's tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Not,
    Equals,
    NotEquals,
    Greater,
    Less,
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '=' => {
                chars.next();
                chars.next_if_eq(&'=');
                out.push(Token::Equals);
            }
            '>' | '<' => {
                chars.next();
                out.push(if c == '>' {
                    Token::Greater
                } else {
                    Token::Less
                });
            }
            '!' => {
                chars.next();
                if chars.next_if_eq(&'=').is_some() {
                    out.push(Token::NotEquals);
                } else {
                    out.push(Token::Not);
                }
            }
            _ => {
                let mut word = String::new();
                while let Some(c) = chars.next_if(|c| !c.is_whitespace() && !"()!=,<>".contains(*c))
                {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
        }
    }
    out
}

impl Requirement {
    fn parse(tokens: &[Token]) -> Result<(Requirement, &[Token]), String> {
        let word = |t: &Token| match t {
            Token::Word(w) => Some(w.clone()),
            _ => None,
        };
        let requirement =
            |key: String, op: Op, values: Vec<String>| Requirement { key, op, values };
        match tokens {
            [Token::Not, Token::Word(key), rest @ ..] => {
                Ok((requirement(key.clone(), Op::DoesNotExist, Vec::new()), rest))
            }
            [Token::Word(key), Token::Equals | Token::NotEquals, rest @ ..] => {
                let op = if tokens[1] == Token::Equals { Op::In } else { Op::NotIn };
                // `key=` selects an empty value.
                let (value, rest) = match rest.split_first() {
                    Some((t, more)) if word(t).is_some() => (word(t).unwrap_or_default(), more),
                    _ => (String::new(), rest),
                };
                Ok((requirement(key.clone(), op, vec![value]), rest))
            }
            [Token::Word(key), Token::Greater | Token::Less, Token::Word(number), rest @ ..] => {
                let number = number
                    .parse::<i64>()
                    .map_err(|_| format!("`{number}` is not an integer"))?;
                let op = if tokens[1] == Token::Greater {
                    Op::Greater(number)
                } else {
                    Op::Less(number)
                };
                Ok((requirement(key.clone(), op, Vec::new()), rest))
            }
            [Token::Word(key), Token::Word(op), Token::Open, rest @ ..] if op == "in" || op == "notin" => {
                let op = if op == "in" { Op::In } else { Op::NotIn };
                let (values, rest) = value_list(rest)?;
                if values.is_empty() {
                    return Err("`in` and `notin` need at least one value".into());
                }
                Ok((requirement(key.clone(), op, values), rest))
            }
            [Token::Word(key), rest @ ..] if matches!(rest.first(), None | Some(Token::Comma)) => {
                Ok((requirement(key.clone(), Op::Exists, Vec::new()), rest))
            }
            _ => Err("expected `key`, `!key`, `key=value`, `key!=value`, `key in (...)`, `key notin (...)`, `key>n` or `key<n`".into()),
        }
    }

    fn validate(&self) -> Result<(), String> {
        if !is_qualified_name(&self.key) {
            return Err(format!("`{}` is not a valid label key", self.key));
        }
        match self.values.iter().find(|v| !is_label_value(v)) {
            Some(value) => Err(format!("`{value}` is not a valid label value")),
            None => Ok(()),
        }
    }
}

/// The values of `(a, b, c)`, after the opening parenthesis.
fn value_list(mut tokens: &[Token]) -> Result<(Vec<String>, &[Token]), String> {
    let mut values = Vec::new();
    let mut expect_value = true;
    loop {
        match tokens {
            [Token::Close, rest @ ..] => return Ok((values, rest)),
            [Token::Word(w), rest @ ..] if expect_value => {
                values.push(w.clone());
                expect_value = false;
                tokens = rest;
            }
            [Token::Comma, rest @ ..] if !expect_value => {
                expect_value = true;
                tokens = rest;
            }
            _ => return Err("expected `value, ...)`".into()),
        }
    }
}

/// A Kubernetes label value: empty, or at most 63 letters, digits, `-`, `_`, `.`,
/// starting and ending with a letter or digit.
fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A Kubernetes qualified name: an optional DNS subdomain prefix and `/`, then a
/// non-empty name like a label value.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

/// Splits at the commas outside parentheses.
fn split_requirements(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selects(selector: &str, labels: &[(&str, &str)]) -> bool {
        let selector = LabelSelector::parse(selector).expect("parses");
        selector.matches(|key| labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    #[test]
    fn matches_as_kubernetes_does() {
        let labels = [("app", "web"), ("tier", "front"), ("n", "5")];
        assert!(selects("", &labels));
        assert!(selects("app=web", &labels));
        assert!(selects("app == web, tier", &labels));
        assert!(!selects("app=db", &labels));
        assert!(selects("app!=db,missing!=x", &labels));
        assert!(selects("tier in (front, back),!legacy", &labels));
        assert!(!selects("tier notin (front)", &labels));
        assert!(selects("missing notin (front)", &labels));
        assert!(!selects("!app", &labels));
        assert!(selects("n>4,n<6", &labels));
        assert!(!selects("missing", &labels));
    }

    #[test]
    fn rejects_what_is_not_a_selector() {
        for bad in ["app=web,", "a b c", "app in web", "=x", "a=b=c"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_error_names_the_requirement_at_fault() {
        let err = |text: &str| LabelSelector::parse(text).expect_err("invalid");
        let e = err("app=web, n>x");
        assert_eq!(
            (e.requirement.as_str(), e.reason.as_str()),
            ("n>x", "`x` is not an integer")
        );
        let e = err("app=web,a/b/c");
        assert_eq!(e.requirement, "a/b/c");
        assert_eq!(
            e.to_string(),
            "selector `app=web,a/b/c`: `a/b/c` is not a valid label key"
        );
        let e = err("app=web,");
        assert_eq!(
            (e.requirement.as_str(), e.reason.as_str()),
            ("", "expected `,` between requirements")
        );
        let e = err("app=web x,tier");
        assert_eq!(e.requirement, "app=web x");
    }
}
