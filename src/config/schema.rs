//! The shape of `.tokenguard.yaml` as data: every mapping the parser reads, its keys,
//! which are required and what their values are. The parser takes its known keys from
//! these tables ([`super::reader::Reader::object`]), and `tokenguard config-schema`
//! turns the same tables into a JSON Schema, so the two cannot disagree on a key.
//! Tests below check the rest: that every key is handled, and that exactly the required
//! ones are required.

use serde_json::{Map, Value, json};

use crate::rule_id::RuleId;

/// One mapping of the config file.
pub struct Object {
    /// How error messages name it ("a trusted entry").
    pub what: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
}

pub struct Field {
    pub key: &'static str,
    pub value: Type,
    pub required: bool,
    pub description: &'static str,
}

pub enum Type {
    /// A scalar read as text; `pattern` (ECMA 262) restates the parser's own check.
    Text {
        pattern: Option<&'static str>,
        format: Option<&'static str>,
    },
    /// A non-empty reason: text with something other than whitespace.
    Reason,
    /// A list of glob patterns.
    Globs,
    /// A rule id (any case), or `*` for every rule.
    RuleOrAll,
    /// A whole number above zero.
    PositiveInteger,
    /// `true` or `false`.
    Boolean,
    /// A mapping from rule id (any case) to `off`, `note`, `warning` or `error`.
    RuleLevels,
    Object(&'static Object),
    ListOf(&'static Object),
}

/// The values a rule's level may take in `rules:`.
pub const LEVELS: [&str; 4] = ["off", "note", "warning", "error"];

/// YAML scalars the parser reads as text: strings, and numbers or booleans written
/// without quotes (`reason: 2024` is the text "2024").
const SCALAR: [&str; 3] = ["string", "number", "boolean"];

pub static CONFIG: Object = Object {
    what: "the config",
    description: "tokenguard's trust configuration: which service accounts may receive Kubernetes API tokens, and why.",
    fields: &[
        Field {
            key: "defaultNamespace",
            value: Type::Text {
                pattern: None,
                format: None,
            },
            required: false,
            description: "Namespace of objects without metadata.namespace (default: \"default\"; --default-namespace overrides it).",
        },
        Field {
            key: "paths",
            value: Type::Object(&PATHS),
            required: false,
            description: "Which files a directory scan reads, as globs relative to this file's directory.",
        },
        Field {
            key: "trusted",
            value: Type::ListOf(&TRUSTED),
            required: false,
            description: "Service accounts that may receive Kubernetes API tokens, each with the reason why.",
        },
        Field {
            key: "tokenCreators",
            value: Type::ListOf(&TOKEN_CREATOR),
            required: false,
            description: "Subjects allowed to create service account tokens (create on serviceaccounts/token).",
        },
        Field {
            key: "exemptions",
            value: Type::ListOf(&EXEMPTION),
            required: false,
            description: "Accepted risk: findings of a rule on matching objects do not count, until the exemption expires.",
        },
        Field {
            key: "rules",
            value: Type::RuleLevels,
            required: false,
            description: "Level overrides by rule id: off, note, warning or error.",
        },
        Field {
            key: "workloadKinds",
            value: Type::ListOf(&WORKLOAD_KIND),
            required: false,
            description: "More workload kinds (custom resources) and where their pod spec is.",
        },
        Field {
            key: "projectedTokens",
            value: Type::Object(&PROJECTED_TOKENS),
            required: false,
            description: "Limits for projected service account tokens.",
        },
        Field {
            key: "baseline",
            value: Type::Text {
                pattern: None,
                format: None,
            },
            required: false,
            description: "The baseline file (written by `tokenguard baseline`), relative to this file: its findings are accepted and only new ones count (--baseline overrides it).",
        },
        Field {
            key: "kustomize",
            value: Type::Boolean,
            required: false,
            description: "Render Kustomize overlays and judge the objects they deploy (default true); false scans their files one by one, as --no-kustomize does.",
        },
    ],
};

pub static PATHS: Object = Object {
    what: "paths",
    description: "Globs (globset syntax) relative to this file's directory (to the root for a file named with --config); `samples`, `samples/` and `samples/**` all name the directory samples. --include and --exclude add to them.",
    fields: &[
        Field {
            key: "include",
            value: Type::Globs,
            required: false,
            description: "Files to read, replacing the default **/*.yaml, **/*.yml, **/*.json: a directory for the YAML and JSON files in it, or files whatever their type.",
        },
        Field {
            key: "exclude",
            value: Type::Globs,
            required: false,
            description: "Files, and directories with everything in them, to skip.",
        },
    ],
};

pub static TRUSTED: Object = Object {
    what: "a trusted entry",
    description: "A service account that may receive an API token.",
    fields: &[
        Field {
            key: "serviceAccount",
            value: Type::Text {
                pattern: Some("/"),
                format: None,
            },
            required: true,
            description: "NAMESPACE/NAME; globs allowed within a segment, e.g. kube-system/*.",
        },
        Field {
            key: "reason",
            value: Type::Reason,
            required: true,
            description: "Why it needs the Kubernetes API.",
        },
    ],
};

pub static TOKEN_CREATOR: Object = Object {
    what: "a tokenCreators entry",
    description: "A subject allowed to create service account tokens.",
    fields: &[
        Field {
            key: "subject",
            value: Type::Text {
                pattern: Some("^(ServiceAccount:.*/.*|User:.+|Group:.+)$"),
                format: None,
            },
            required: true,
            description: "ServiceAccount:NAMESPACE/NAME, User:NAME or Group:NAME; globs allowed.",
        },
        Field {
            key: "reason",
            value: Type::Reason,
            required: true,
            description: "Why it may mint tokens.",
        },
    ],
};

pub static EXEMPTION: Object = Object {
    what: "an exemption",
    description: "Accepted risk for matching objects, with a reason and an end date.",
    fields: &[
        Field {
            key: "rule",
            value: Type::RuleOrAll,
            required: true,
            description: "A rule id such as TG001, or * for every rule.",
        },
        Field {
            key: "object",
            value: Type::Text {
                pattern: Some("^[^/]*/[^/]*/[^/]*$"),
                format: None,
            },
            required: true,
            description: "NAMESPACE/KIND/NAME; globs allowed within a segment.",
        },
        Field {
            key: "reason",
            value: Type::Reason,
            required: true,
            description: "Why the risk is accepted (a ticket, a plan).",
        },
        Field {
            key: "expires",
            value: Type::Text {
                pattern: Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                format: Some("date"),
            },
            required: false,
            description: "YYYY-MM-DD; after it the exemption stops applying (TG012).",
        },
    ],
};

pub static WORKLOAD_KIND: Object = Object {
    what: "a workloadKinds entry",
    description: "A workload kind tokenguard does not know, and where its pod spec is.",
    fields: &[
        Field {
            key: "apiVersion",
            value: Type::Text {
                pattern: None,
                format: None,
            },
            required: true,
            description: "API group and version; globs allowed, e.g. apps.kruise.io/*.",
        },
        Field {
            key: "kind",
            value: Type::Text {
                pattern: None,
                format: None,
            },
            required: true,
            description: "The kind, e.g. CloneSet.",
        },
        Field {
            key: "podSpecPath",
            value: Type::Text {
                pattern: Some("^[^.]+(\\.[^.]+)*$"),
                format: None,
            },
            required: true,
            description: "Dotted keys from the object to its pod spec, e.g. spec.template.spec.",
        },
    ],
};

pub static PROJECTED_TOKENS: Object = Object {
    what: "projectedTokens",
    description: "Limits for projected service account tokens.",
    fields: &[Field {
        key: "maxExpirationSeconds",
        value: Type::PositiveInteger,
        required: false,
        description: "Longest accepted expirationSeconds of a projected token (TG004).",
    }],
};

impl Object {
    pub fn keys(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.key).collect()
    }
}

/// The JSON Schema (draft-07, which editors' YAML language servers support) of the
/// config file, with each rule's entry under `rules` described by `describe_rule` (the
/// rules' metadata lives above the config, which does not depend on it).
pub fn json_schema(describe_rule: impl Fn(RuleId) -> String) -> Value {
    let mut schema = object_schema(&CONFIG);
    for id in RuleId::ALL {
        schema["properties"]["rules"]["properties"][id.code()]["description"] =
            json!(describe_rule(id));
    }
    let map = schema.as_object_mut().expect("an object schema");
    map.insert("type".into(), json!(["object", "null"]));
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    out.insert("title".into(), json!(".tokenguard.yaml"));
    out.extend(std::mem::take(map));
    Value::Object(out)
}

fn object_schema(object: &Object) -> Value {
    let properties: Map<String, Value> = object
        .fields
        .iter()
        .map(|f| {
            let mut schema = type_schema(&f.value);
            schema
                .as_object_mut()
                .expect("an object schema")
                .insert("description".into(), json!(f.description));
            (f.key.to_owned(), schema)
        })
        .collect();
    let required: Vec<&str> = object
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.key)
        .collect();
    let mut schema = json!({
        "description": object.description,
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn type_schema(value: &Type) -> Value {
    match value {
        Type::Text { pattern, format } => {
            let mut schema = json!({ "type": SCALAR });
            if let Some(pattern) = pattern {
                // Only a string can match a pattern the parser checks.
                schema = json!({ "type": "string", "pattern": pattern });
            }
            if let Some(format) = format {
                schema["format"] = json!(format);
            }
            schema
        }
        Type::Reason => json!({ "type": SCALAR, "minLength": 1, "pattern": "\\S" }),
        Type::Globs => json!({ "type": "array", "items": { "type": SCALAR } }),
        Type::RuleOrAll => {
            let mut ids: Vec<&str> = RuleId::ALL.iter().map(|id| id.code()).collect();
            ids.push("*");
            json!({
                "type": "string",
                "anyOf": [
                    { "enum": ids },
                    { "pattern": format!("^(\\*|{})$", any_case_rule_ids()) },
                ],
            })
        }
        Type::PositiveInteger => json!({ "type": "integer", "minimum": 1 }),
        Type::Boolean => json!({ "type": "boolean" }),
        Type::RuleLevels => {
            let level = json!({ "type": "string", "enum": LEVELS });
            let properties: Map<String, Value> = RuleId::ALL
                .iter()
                .map(|id| (id.code().to_owned(), level.clone()))
                .collect();
            json!({
                "type": "object",
                "properties": properties,
                "propertyNames": { "pattern": format!("^({})$", any_case_rule_ids()) },
                "additionalProperties": level,
            })
        }
        Type::Object(object) => object_schema(object),
        Type::ListOf(object) => json!({ "type": "array", "items": object_schema(object) }),
    }
}

/// `[Tt][Gg]001|...`: rule ids are matched without regard to case, and ECMA 262 patterns
/// have no flag for that.
fn any_case_rule_ids() -> String {
    RuleId::ALL
        .iter()
        .map(|id| {
            id.code()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A value the parser accepts for a field, as YAML at `indent`.
    fn example(value: &Type, indent: usize) -> String {
        let pad = " ".repeat(indent);
        match value {
            Type::Text {
                format: Some(_), ..
            } => "2099-12-31".to_owned(),
            Type::Text {
                pattern: Some(p), ..
            } if p.starts_with("^(ServiceAccount") => "ServiceAccount:a/b".to_owned(),
            Type::Text {
                pattern: Some(p), ..
            } if p.contains("[^/]*/[^/]*/") => "a/Deployment/b".to_owned(),
            Type::Text {
                pattern: Some(p), ..
            } if p.contains("\\.") => "spec.template.spec".to_owned(),
            Type::Text {
                pattern: Some(_), ..
            } => "a/b".to_owned(),
            Type::Text { .. } | Type::Reason => "x".to_owned(),
            Type::Globs => "['**/*.yaml']".to_owned(),
            Type::RuleOrAll => "TG001".to_owned(),
            Type::PositiveInteger => "3600".to_owned(),
            Type::Boolean => "false".to_owned(),
            Type::RuleLevels => "{TG009: off, tg002: error}".to_owned(),
            Type::Object(o) => format!("\n{}", fields(o, indent + 2, |_| true)),
            Type::ListOf(o) => {
                let body = fields(o, indent + 4, |_| true);
                format!("\n{pad}  - {}", body.trim_start())
            }
        }
    }

    fn fields(object: &Object, indent: usize, keep: impl Fn(&Field) -> bool) -> String {
        object
            .fields
            .iter()
            .filter(|f| keep(f))
            .map(|f| {
                format!(
                    "{}{}: {}\n",
                    " ".repeat(indent),
                    f.key,
                    example(&f.value, indent)
                )
            })
            .collect()
    }

    #[test]
    fn every_key_in_the_tables_is_parsed() {
        let text = fields(&CONFIG, 0, |_| true);
        let config = Config::parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(config.trusted.len(), 1);
        assert_eq!(config.exemptions.len(), 1);
        assert_eq!(config.max_projected_token_seconds, Some(3600));
        assert_eq!(config.kustomize, Some(false));
    }

    #[test]
    fn exactly_the_required_keys_are_required() {
        for field in CONFIG.fields {
            let Type::ListOf(object) = &field.value else {
                continue;
            };
            for missing in object.fields {
                let body = fields(object, 4, |f| f.key != missing.key);
                let text = format!("{}:\n  - {}", field.key, body.trim_start());
                let result = Config::parse(&text, "c.yaml");
                assert_eq!(
                    result.is_err(),
                    missing.required,
                    "{}.{} without it: {result:?}\n{text}",
                    field.key,
                    missing.key
                );
            }
        }
    }

    #[test]
    fn schema_lists_every_rule_and_level() {
        let schema = json_schema(|id| format!("about {}", id.name()));
        let rules_schema = &schema["properties"]["rules"];
        for id in RuleId::ALL {
            assert_eq!(
                rules_schema["properties"][id.code()]["description"],
                json!(format!("about {}", id.name()))
            );
            assert_eq!(rules_schema["properties"][id.code()]["enum"], json!(LEVELS));
        }
        assert_eq!(rules_schema["additionalProperties"]["enum"], json!(LEVELS));
        assert_eq!(
            schema["properties"]["trusted"]["items"]["required"],
            json!(["serviceAccount", "reason"])
        );
        assert_eq!(
            schema["properties"]["trusted"]["items"]["additionalProperties"],
            false
        );
    }
}
