//! Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!legacy`), as Kustomize
//! matches them against an object's labels or annotations in `labelSelector` and
//! `annotationSelector`.

/// A parsed selector: every requirement must hold. Empty selects everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Exists,
    DoesNotExist,
    In(Vec<String>),
    NotIn(Vec<String>),
    Greater(i64),
    Less(i64),
}

impl LabelSelector {
    /// Parses a selector; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for part in split_requirements(text) {
            let part = part.trim();
            if part.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(format!("empty requirement in label selector `{text}`"));
            }
            requirements.push(
                requirement(part)
                    .ok_or_else(|| format!("`{part}` is not a requirement of a label selector"))?,
            );
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether labels (or annotations) given as key-value pairs satisfy it.
    pub fn matches<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels(&r.key);
            match &r.op {
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
                Op::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
                // Kubernetes: a missing key satisfies `!=` and `notin`.
                Op::NotIn(values) => value.is_none_or(|v| values.iter().all(|x| x != v)),
                Op::Greater(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                Op::Less(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }
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

fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn is_value(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn requirement(part: &str) -> Option<Requirement> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return is_key(key).then(|| Requirement {
            key: key.to_owned(),
            op: Op::DoesNotExist,
        });
    }
    for (token, negated) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((key, value)) = part.split_once(token) {
            let (key, value) = (key.trim(), value.trim());
            if !is_key(key) || !is_value(value) {
                return None;
            }
            let values = vec![value.to_owned()];
            let op = if negated {
                Op::NotIn(values)
            } else {
                Op::In(values)
            };
            return Some(Requirement {
                key: key.to_owned(),
                op,
            });
        }
    }
    for (token, greater) in [(">", true), ("<", false)] {
        if let Some((key, value)) = part.split_once(token) {
            let (key, value) = (key.trim(), value.trim().parse::<i64>().ok()?);
            let op = if greater {
                Op::Greater(value)
            } else {
                Op::Less(value)
            };
            return is_key(key).then(|| Requirement {
                key: key.to_owned(),
                op,
            });
        }
    }
    let mut words = part.splitn(2, char::is_whitespace);
    let key = words.next()?.trim();
    let rest = words.next().map(str::trim).unwrap_or_default();
    if rest.is_empty() {
        return is_key(key).then(|| Requirement {
            key: key.to_owned(),
            op: Op::Exists,
        });
    }
    let (negated, list) = if let Some(list) = rest.strip_prefix("notin") {
        (true, list)
    } else {
        (false, rest.strip_prefix("in")?)
    };
    let list = list.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = list.split(',').map(|v| v.trim().to_owned()).collect();
    if !is_key(key) || values.iter().any(|v| !is_value(v)) {
        return None;
    }
    let op = if negated {
        Op::NotIn(values)
    } else {
        Op::In(values)
    };
    Some(Requirement {
        key: key.to_owned(),
        op,
    })
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
}
