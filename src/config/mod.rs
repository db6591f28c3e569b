//! `.tokenguard.yaml`: the trust config (SPEC 5). Loaded strictly: an unknown key, a
//! bad glob, a missing reason or a bad date is an error with file, line and column.

mod reader;
pub mod schema;

use std::fmt;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobMatcher};
use jiff::civil::Date;

use crate::k8s::kinds::WorkloadKind;
use crate::rule_id::{Level, RuleId};
use crate::yaml::{self, Pos, Span};
use reader::Reader;

/// Config file names looked for at the root, in order.
pub const FILE_NAMES: [&str; 2] = [".tokenguard.yaml", ".tokenguard.yml"];

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from, as shown in reports; `None` for the built-in default.
    pub source: Option<String>,
    /// Where that file is, to show its lines in reports.
    pub path: Option<std::path::PathBuf>,
    /// The directory `paths` globs are relative to: a discovered config's own (SPEC
    /// 5.4); `None` for the root (a config named with `--config`, as ruff does).
    pub glob_dir: Option<std::path::PathBuf>,
    pub default_namespace: Option<String>,
    pub include: Vec<PathGlob>,
    pub exclude: Vec<PathGlob>,
    pub trusted: Vec<TrustedEntry>,
    pub token_creators: Vec<TokenCreator>,
    pub exemptions: Vec<Exemption>,
    /// Level overrides by rule id; `None` turns the rule off.
    pub rule_levels: Vec<(RuleId, Option<Level>)>,
    pub workload_kinds: Vec<WorkloadKind>,
    pub max_projected_token_seconds: Option<u64>,
    /// `baseline:`, as written (relative to the config file's directory).
    pub baseline: Option<String>,
    /// `kustomize:`, as written; unset renders kustomizations (see
    /// [`Config::render_kustomize`]).
    pub kustomize: Option<bool>,
}

/// A glob of `paths.include` or `paths.exclude`, and where it is written.
#[derive(Clone, Debug)]
pub struct PathGlob {
    pub glob: String,
    pub at: Pos,
}

/// `trusted`: a service account glob (`NAMESPACE/NAME`) that may receive API tokens.
#[derive(Clone, Debug)]
pub struct TrustedEntry {
    pub pattern: String,
    pub matcher: GlobMatcher,
    pub reason: String,
    /// The entry's first key, where TG012/TG013 point.
    pub key: Span,
}

/// `tokenCreators`: a subject glob (`ServiceAccount:NS/NAME`, `User:NAME`, `Group:NAME`)
/// allowed to create service account tokens.
#[derive(Clone, Debug)]
pub struct TokenCreator {
    pub pattern: String,
    pub matcher: GlobMatcher,
    pub reason: String,
    /// The entry's first key, where TG012/TG013 point.
    pub key: Span,
}

/// `exemptions`: accepted risk for objects matching `NAMESPACE/KIND/NAME`, until `expires`.
#[derive(Clone, Debug)]
pub struct Exemption {
    /// The rule it exempts from; `None` is `*`, every rule.
    pub rule: Option<RuleId>,
    pub object: String,
    pub matcher: GlobMatcher,
    pub reason: String,
    pub expires: Option<Date>,
    /// The entry's first key, where TG012/TG013 point.
    pub key: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, pos.line, pos.col, self.message
            ),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// `projectedTokens.maxExpirationSeconds` when the config does not set it: one day.
pub const DEFAULT_MAX_PROJECTED_TOKEN_SECONDS: u64 = 86_400;

impl Config {
    pub fn max_projected_token_seconds(&self) -> u64 {
        self.max_projected_token_seconds
            .unwrap_or(DEFAULT_MAX_PROJECTED_TOKEN_SECONDS)
    }

    /// Whether kustomizations are rendered (SPEC 3.4) rather than their files scanned one
    /// by one: unless the config says `kustomize: false`.
    pub fn render_kustomize(&self) -> bool {
        self.kustomize.unwrap_or(true)
    }

    /// The entry that trusts `namespace/name`, if any.
    pub fn trusted_entry(&self, namespace: &str, name: &str) -> Option<&TrustedEntry> {
        let identity = format!("{namespace}/{name}");
        self.trusted.iter().find(|t| t.matcher.is_match(&identity))
    }

    /// The level a rule reports at: the config's override, else the level the rule chose.
    pub fn level_of(&self, rule: RuleId, chosen: Level) -> Option<Level> {
        self.rule_levels
            .iter()
            .find(|(id, _)| *id == rule)
            .map_or(Some(chosen), |(_, level)| *level)
    }

    pub fn load(path: &Path, shown_as: &str) -> Result<Config, ConfigError> {
        // Bounded, and never from a FIFO or device (the config can be untrusted too).
        let limit = yaml::Limits::default().max_file_bytes;
        let bytes = crate::load::read_file(path, limit, true)
            .map_err(|e| e.to_string())
            .and_then(|bytes| match bytes.len() as u64 > limit {
                true => Err(format!("larger than {limit} bytes")),
                false => Ok(bytes),
            })
            .map_err(|e| ConfigError {
                file: shown_as.to_owned(),
                pos: None,
                message: format!("cannot read the config file: {e}"),
            })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ConfigError {
            file: shown_as.to_owned(),
            pos: None,
            message: "the config file is not valid UTF-8".to_owned(),
        })?;
        let mut config = Config::parse(text, shown_as)?;
        config.source = Some(shown_as.to_owned());
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let r = Reader { file };
        let stream = yaml::parse(text, &yaml::Limits::default());
        if let Some(e) = stream.error {
            return Err(r.error(e.pos, format!("invalid YAML: {}", e.kind)));
        }
        // Manifests are read as kubectl reads them (the last of two equal keys wins), but
        // in the config a repeated key is a mistake to point at, not to guess through.
        if let Some(d) = stream.duplicates.iter().min_by_key(|d| d.at) {
            return Err(r.error(
                d.at.start,
                format!(
                    "duplicate key `{}` (first defined at {}); write each key once",
                    d.key, d.first.start
                ),
            ));
        }
        let mut config = Config::default();
        let root = match stream.documents.as_slice() {
            [] => return Ok(config),
            [doc] => stream.tree.node(doc.root),
            [_, second, ..] => {
                return Err(r.error(
                    stream.tree.node(second.root).span().start,
                    "the config file must hold one YAML document",
                ));
            }
        };
        if root
            .scalar()
            .is_some_and(|s| matches!(yaml::scalar::resolve(s), yaml::scalar::Value::Null))
        {
            return Ok(config);
        }
        for (key, _, value) in r.object(root, &schema::CONFIG)? {
            match key {
                "defaultNamespace" => {
                    config.default_namespace = Some(r.string(value, "defaultNamespace")?)
                }
                "baseline" => config.baseline = Some(r.string(value, "baseline")?),
                "kustomize" => config.kustomize = Some(r.boolean(value, "kustomize")?),
                "paths" => {
                    for (key, _, value) in r.object(value, &schema::PATHS)? {
                        let globs = r.strings(value, &format!("paths.{key}"))?;
                        for (glob, pos) in &globs {
                            path_glob(glob)
                                .map_err(|e| r.error(*pos, format!("bad glob `{glob}`: {e}")))?;
                        }
                        let globs = globs.into_iter().map(|(glob, at)| PathGlob { glob, at });
                        if key == "include" {
                            config.include.extend(globs);
                        } else {
                            config.exclude.extend(globs);
                        }
                    }
                }
                "trusted" => {
                    for item in r.sequence(value, "trusted")? {
                        let fields = r.object(item, &schema::TRUSTED)?;
                        let sa = r.required(&fields, item, "serviceAccount", "a trusted entry")?;
                        let pattern = r.string(sa, "serviceAccount")?;
                        if !pattern.contains('/') {
                            return Err(r.error(
                                sa.span().start,
                                format!("serviceAccount `{pattern}` must be NAMESPACE/NAME (globs allowed, e.g. `kube-system/*`)"),
                            ));
                        }
                        config.trusted.push(TrustedEntry {
                            matcher: identity_glob(&pattern)
                                .map_err(|e| r.error(sa.span().start, e))?,
                            pattern,
                            reason: reason(&r, &fields, item, "a trusted entry")?,
                            key: first_key(item),
                        });
                    }
                }
                "tokenCreators" => {
                    for item in r.sequence(value, "tokenCreators")? {
                        let fields = r.object(item, &schema::TOKEN_CREATOR)?;
                        let subject =
                            r.required(&fields, item, "subject", "a tokenCreators entry")?;
                        let pattern = r.string(subject, "subject")?;
                        let valid = ["ServiceAccount:", "User:", "Group:"]
                            .iter()
                            .any(|p| pattern.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
                            && (!pattern.starts_with("ServiceAccount:") || pattern.contains('/'));
                        if !valid {
                            return Err(r.error(
                                subject.span().start,
                                format!("subject `{pattern}` must be ServiceAccount:NAMESPACE/NAME, User:NAME or Group:NAME"),
                            ));
                        }
                        config.token_creators.push(TokenCreator {
                            matcher: identity_glob(&pattern)
                                .map_err(|e| r.error(subject.span().start, e))?,
                            pattern,
                            reason: reason(&r, &fields, item, "a tokenCreators entry")?,
                            key: first_key(item),
                        });
                    }
                }
                "exemptions" => {
                    for item in r.sequence(value, "exemptions")? {
                        let what = "an exemption";
                        let fields = r.object(item, &schema::EXEMPTION)?;
                        let rule_node = r.required(&fields, item, "rule", what)?;
                        let text = r.string(rule_node, "rule")?;
                        let rule = match text.as_str() {
                            "*" => None,
                            code => Some(RuleId::from_code(code).ok_or_else(|| {
                                r.error(rule_node.span().start, unknown_rule(code))
                            })?),
                        };
                        let object_node = r.required(&fields, item, "object", what)?;
                        let object = r.string(object_node, "object")?;
                        if object.split('/').count() != 3 {
                            return Err(r.error(
                                object_node.span().start,
                                format!(
                                    "object `{object}` must be NAMESPACE/KIND/NAME (globs allowed)"
                                ),
                            ));
                        }
                        let expires = match fields.iter().find(|(k, _, _)| *k == "expires") {
                            Some((_, _, node)) => {
                                let text = r.string(*node, "expires")?;
                                Some(text.parse::<Date>().map_err(|_| {
                                    r.error(
                                        node.span().start,
                                        format!("expires `{text}` is not a date (YYYY-MM-DD)"),
                                    )
                                })?)
                            }
                            None => None,
                        };
                        config.exemptions.push(Exemption {
                            matcher: identity_glob(&object)
                                .map_err(|e| r.error(object_node.span().start, e))?,
                            rule,
                            object,
                            reason: reason(&r, &fields, item, what)?,
                            expires,
                            key: first_key(item),
                        });
                    }
                }
                "rules" => {
                    for (id, key_node, level) in r.mapping(value, "rules", &[])? {
                        let rule = RuleId::from_code(id)
                            .ok_or_else(|| r.error(key_node.span().start, unknown_rule(id)))?;
                        let text = r.string(level, &format!("rules.{id}"))?;
                        let level = match text.as_str() {
                            "off" => None,
                            other => Some(Level::parse(other).ok_or_else(|| {
                                r.error(
                                    level.span().start,
                                    format!(
                                        "level `{other}` for {id} must be one of {}",
                                        schema::LEVELS.join(", ")
                                    ),
                                )
                            })?),
                        };
                        config.rule_levels.push((rule, level));
                    }
                }
                "workloadKinds" => {
                    for item in r.sequence(value, "workloadKinds")? {
                        let what = "a workloadKinds entry";
                        let fields = r.object(item, &schema::WORKLOAD_KIND)?;
                        let api =
                            r.string(r.required(&fields, item, "apiVersion", what)?, "apiVersion")?;
                        let kind = r.string(r.required(&fields, item, "kind", what)?, "kind")?;
                        let path_node = r.required(&fields, item, "podSpecPath", what)?;
                        let path = r.string(path_node, "podSpecPath")?;
                        if path.split('.').any(str::is_empty) {
                            return Err(r.error(
                                path_node.span().start,
                                format!("podSpecPath `{path}` must be dotted keys such as spec.template.spec"),
                            ));
                        }
                        let kind = WorkloadKind::new(&api, &kind, &path).map_err(|e| {
                            r.error(
                                item.span().start,
                                format!("bad apiVersion glob `{api}`: {e}"),
                            )
                        })?;
                        config.workload_kinds.push(kind);
                    }
                }
                "projectedTokens" => {
                    for (_, _, value) in r.object(value, &schema::PROJECTED_TOKENS)? {
                        let seconds = value
                            .scalar()
                            .and_then(|s| match yaml::scalar::resolve(s) {
                                yaml::scalar::Value::Int(i) => {
                                    u64::try_from(i).ok().filter(|&i| i > 0)
                                }
                                _ => None,
                            })
                            .ok_or_else(|| {
                                r.error(
                                    value.span().start,
                                    "maxExpirationSeconds must be a positive whole number",
                                )
                            })?;
                        config.max_projected_token_seconds = Some(seconds);
                    }
                }
                _ => unreachable!("mapping() only returns known keys"),
            }
        }
        Ok(config)
    }
}

fn reason(
    r: &Reader<'_>,
    fields: &[(&str, yaml::NodeRef<'_>, yaml::NodeRef<'_>)],
    item: yaml::NodeRef<'_>,
    what: &str,
) -> Result<String, ConfigError> {
    let node = r.required(fields, item, "reason", what)?;
    let text = r.string(node, "reason")?;
    if text.trim().is_empty() {
        return Err(r.error(node.span().start, "reason must not be empty"));
    }
    Ok(text)
}

fn first_key(item: yaml::NodeRef<'_>) -> Span {
    item.entries().next().map_or(item.span(), |(k, _)| k.span())
}

fn unknown_rule(id: &str) -> String {
    let known: Vec<&str> = RuleId::ALL.iter().map(|id| id.code()).collect();
    format!("unknown rule id `{id}` (known: {})", known.join(", "))
}

/// A glob over `NAMESPACE/NAME`-style identities (or one part of one): `*` stays within
/// one segment, as in paths.
pub fn identity_glob(pattern: &str) -> Result<GlobMatcher, String> {
    path_glob(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

/// A glob over `/`-separated relative paths.
pub fn path_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::parse(text, ".tokenguard.yaml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn full_config_parses() {
        let c = Config::parse(
            "defaultNamespace: apps\npaths:\n  include: ['**/*.yaml']\n  exclude: [vendor/**]\ntrusted:\n  - serviceAccount: kube-system/*\n    reason: platform\nrules:\n  TG009: off\n  TG002: error\nworkloadKinds:\n  - apiVersion: apps.kruise.io/*\n    kind: CloneSet\n    podSpecPath: spec.template.spec\n",
            "c.yaml",
        )
        .unwrap();
        assert_eq!(c.default_namespace.as_deref(), Some("apps"));
        assert!(c.trusted_entry("kube-system", "coredns").is_some());
        assert!(c.trusted_entry("kube-system-x", "a").is_none());
        assert_eq!(c.level_of(RuleId::UnknownServiceAccount, Level::Note), None);
        assert_eq!(
            c.level_of(RuleId::ServiceAccountAutomountEnabled, Level::Warning),
            Some(Level::Error)
        );
        assert_eq!(
            c.level_of(RuleId::TokenAutomountUntrusted, Level::Error),
            Some(Level::Error)
        );
        assert_eq!(c.workload_kinds.len(), 1);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            err("trusted:\n  - serviceAccount: a/b\n    reasn: x\n"),
            ".tokenguard.yaml:3:5: unknown key `reasn` in a trusted entry; did you mean `reason`?"
        );
        assert_eq!(
            err("trusted:\n  - serviceAccount: a/b\n    reason: ''\n"),
            ".tokenguard.yaml:3:13: reason must not be empty"
        );
        assert_eq!(
            err("trusted:\n  - serviceAccount: a/b\n"),
            ".tokenguard.yaml:2:5: a trusted entry needs `reason`"
        );
        assert_eq!(
            err("rules:\n  TG999: off\n"),
            format!(".tokenguard.yaml:2:3: {}", unknown_rule("TG999"))
        );
        assert_eq!(
            err(
                "exemptions:\n  - rule: TG001\n    object: a/Deployment/b\n    reason: x\n    expires: 2027-13-01\n"
            ),
            ".tokenguard.yaml:5:14: expires `2027-13-01` is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            err("paths:\n  exclude: ['a/[b']\n"),
            ".tokenguard.yaml:2:13: bad glob `a/[b`: error parsing glob 'a/[b': unclosed character class; missing ']'"
        );
    }
}
