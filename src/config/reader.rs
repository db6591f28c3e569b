//! Strict reading of the config tree: every value is checked for its type, every key
//! against the known keys, and every problem carries the file position.

use crate::yaml::{NodeRef, Pos};

use super::ConfigError;
use super::schema::Object;

pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
}

impl<'a> Reader<'a> {
    pub(super) fn error(&self, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            pos: Some(pos),
            message: message.into(),
        }
    }

    /// The entries of a mapping whose keys must all be in `known`.
    pub(super) fn mapping<'t>(
        &self,
        node: NodeRef<'t>,
        what: &str,
        known: &[&str],
    ) -> Result<Vec<(&'t str, NodeRef<'t>, NodeRef<'t>)>, ConfigError> {
        if !node.is_map() {
            return Err(self.error(node.span().start, format!("{what} must be a mapping")));
        }
        let mut out = Vec::new();
        for (key, value) in node.entries() {
            let Some(name) = key.scalar().map(|s| s.text) else {
                return Err(self.error(key.span().start, format!("keys of {what} must be strings")));
            };
            if !known.is_empty() && !known.contains(&name) {
                let mut message = format!("unknown key `{name}` in {what}");
                if let Some(near) = nearest(name, known) {
                    message += &format!("; did you mean `{near}`?");
                } else {
                    message += &format!(" (known keys: {})", known.join(", "));
                }
                return Err(self.error(key.span().start, message));
            }
            out.push((name, key, value));
        }
        Ok(out)
    }

    /// The entries of a mapping described by a schema table: its keys are the known ones.
    pub(super) fn object<'t>(
        &self,
        node: NodeRef<'t>,
        object: &Object,
    ) -> Result<Vec<(&'t str, NodeRef<'t>, NodeRef<'t>)>, ConfigError> {
        self.mapping(node, object.what, &object.keys())
    }

    pub(super) fn sequence<'t>(
        &self,
        node: NodeRef<'t>,
        what: &str,
    ) -> Result<Vec<NodeRef<'t>>, ConfigError> {
        if !node.is_seq() {
            return Err(self.error(node.span().start, format!("{what} must be a list")));
        }
        Ok(node.items().collect())
    }

    pub(super) fn string(&self, node: NodeRef<'_>, what: &str) -> Result<String, ConfigError> {
        match node.scalar() {
            Some(s)
                if !matches!(
                    crate::yaml::scalar::resolve(s),
                    crate::yaml::scalar::Value::Null
                ) =>
            {
                Ok(s.text.to_owned())
            }
            _ => Err(self.error(
                node.span().start,
                format!("{what} must be a non-empty string"),
            )),
        }
    }

    /// `true` or `false` (any case), the booleans every YAML version reads alike: a
    /// YAML 1.1-only `yes` or `off` is an error, as it is in the JSON Schema.
    pub(super) fn boolean(&self, node: NodeRef<'_>, what: &str) -> Result<bool, ConfigError> {
        let value = node.scalar().and_then(|s| {
            match (
                crate::yaml::scalar::resolve(s),
                s.text.to_ascii_lowercase().as_str(),
            ) {
                (crate::yaml::scalar::Value::Bool(b), "true" | "false") => Some(b),
                _ => None,
            }
        });
        value.ok_or_else(|| self.error(node.span().start, format!("{what} must be true or false")))
    }

    pub(super) fn strings(
        &self,
        node: NodeRef<'_>,
        what: &str,
    ) -> Result<Vec<(String, Pos)>, ConfigError> {
        self.sequence(node, what)?
            .into_iter()
            .map(|item| Ok((self.string(item, what)?, item.span().start)))
            .collect()
    }

    /// A required key of a list entry.
    pub(super) fn required<'t>(
        &self,
        entries: &[(&'t str, NodeRef<'t>, NodeRef<'t>)],
        entry: NodeRef<'t>,
        key: &str,
        what: &str,
    ) -> Result<NodeRef<'t>, ConfigError> {
        entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, _, value)| *value)
            .ok_or_else(|| self.error(entry.span().start, format!("{what} needs `{key}`")))
    }
}

/// The known key closest to `name`, if it is close enough to be a typo.
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(&name.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_near_keys_only() {
        let known = ["trusted", "rules", "defaultNamespace"];
        assert_eq!(super::nearest("trused", &known), Some("trusted"));
        assert_eq!(
            super::nearest("defaultnamespace", &known),
            Some("defaultNamespace")
        );
        assert_eq!(super::nearest("banana", &known), None);
    }
}
