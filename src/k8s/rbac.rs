//! RBAC as the API server reads it (SPEC 4.6): whether a policy rule allows a request,
//! the grants that make a token powerful, the built-in ClusterRoles, ClusterRole
//! aggregation, and resource names that look like the token API but are not.

/// The lists of one policy rule, as the matcher reads them.
pub trait PolicyRuleLists {
    fn verbs(&self) -> impl Iterator<Item = &str>;
    fn api_groups(&self) -> impl Iterator<Item = &str>;
    fn resources(&self) -> impl Iterator<Item = &str>;
    /// Whether `resourceNames` narrows the rule to named objects.
    fn has_resource_names(&self) -> bool;
}

/// A permission that makes a service account token worth stealing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// `*` verbs on `*` resources in `*` groups (or `cluster-admin`).
    Everything,
    /// `create` on `serviceaccounts/token`.
    MintTokens,
    /// `get`, `list` or `watch` on `secrets`: reads legacy token Secrets.
    ReadSecrets,
    /// `create` on pods or a workload kind: runs code as any service account of the namespace.
    CreateWorkloads,
    PodsExec,
    PodsAttach,
    NodesProxy,
    Impersonate,
    Escalate,
    Bind,
}

/// The API server's authorization check of one request against one rule: `verb` on
/// `resource` (or its `subresource`) in API `group`.
pub fn allows(
    rule: &impl PolicyRuleLists,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: Option<&str>,
) -> bool {
    fn any<'a>(mut list: impl Iterator<Item = &'a str>, want: &str) -> bool {
        list.any(|v| v == "*" || v == want)
    }
    any(rule.verbs(), verb)
        && any(rule.api_groups(), group)
        && rule.resources().any(|r| match (r, subresource) {
            ("*", _) => true,
            (r, None) => r == resource,
            (r, Some(sub)) => r
                .strip_suffix(sub)
                .and_then(|rest| rest.strip_suffix('/'))
                .is_some_and(|res| res == resource || res == "*"),
        })
}

/// The kinds whose `create` runs code as a service account of the namespace.
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// The powerful grants of one rule, in [`Grant`] order.
pub fn grants(rule: &impl PolicyRuleLists) -> Vec<Grant> {
    fn wildcard<'a>(mut list: impl Iterator<Item = &'a str>) -> bool {
        list.any(|v| v == "*")
    }
    let mut out = Vec::new();
    if wildcard(rule.verbs())
        && wildcard(rule.api_groups())
        && wildcard(rule.resources())
        && !rule.has_resource_names()
    {
        out.push(Grant::Everything);
    }
    if mints_tokens(rule) {
        out.push(Grant::MintTokens);
    }
    if reads_secrets(rule) {
        out.push(Grant::ReadSecrets);
    }
    if WORKLOADS
        .iter()
        .any(|(group, resource)| allows(rule, "create", group, resource, None))
    {
        out.push(Grant::CreateWorkloads);
    }
    let any_verb = |verbs: &[&str], group: &str, resource: &str, sub: Option<&str>| {
        verbs.iter().any(|v| allows(rule, v, group, resource, sub))
    };
    if any_verb(&["create", "get"], "", "pods", Some("exec")) {
        out.push(Grant::PodsExec);
    }
    if any_verb(&["create", "get"], "", "pods", Some("attach")) {
        out.push(Grant::PodsAttach);
    }
    if any_verb(&["get", "create"], "", "nodes", Some("proxy")) {
        out.push(Grant::NodesProxy);
    }
    if ["users", "groups", "serviceaccounts"]
        .iter()
        .any(|r| allows(rule, "impersonate", "", r, None))
    {
        out.push(Grant::Impersonate);
    }
    for (verb, grant) in [("escalate", Grant::Escalate), ("bind", Grant::Bind)] {
        if ["roles", "clusterroles"]
            .iter()
            .any(|r| allows(rule, verb, super::kinds::RBAC_GROUP, r, None))
        {
            out.push(grant);
        }
    }
    out
}

/// `create` on `serviceaccounts/token` in the core group.
pub fn mints_tokens(rule: &impl PolicyRuleLists) -> bool {
    allows(rule, "create", "", "serviceaccounts", Some("token"))
}

/// `get`, `list` or `watch` on `secrets` in the core group.
pub fn reads_secrets(rule: &impl PolicyRuleLists) -> bool {
    ["get", "list", "watch"]
        .iter()
        .any(|verb| allows(rule, verb, "", "secrets", None))
}

/// What the built-in ClusterRoles grant when a binding references one the scan does not
/// define (they exist in every cluster).
pub fn built_in_cluster_role(name: &str) -> Option<&'static [Grant]> {
    match name {
        "cluster-admin" => Some(&[Grant::Everything]),
        "admin" | "edit" => Some(&[
            Grant::ReadSecrets,
            Grant::CreateWorkloads,
            Grant::PodsExec,
            Grant::PodsAttach,
            Grant::Impersonate,
        ]),
        "view" => Some(&[]),
        _ => None,
    }
}

/// Whether a ClusterRole with `labels` is aggregated into one with these
/// `clusterRoleSelectors[].matchLabels`: some non-empty selector has all its pairs
/// among the labels.
pub fn aggregates<K: PartialEq, V: PartialEq>(
    selectors: &[impl AsRef<[(K, V)]>],
    labels: &[(K, V)],
) -> bool {
    selectors.iter().any(|selector| {
        let selector = selector.as_ref();
        !selector.is_empty() && selector.iter().all(|pair| labels.contains(pair))
    })
}

/// Why a resource name that looks like the token API grants nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookalike {
    /// `tokens`, `serviceaccounttokens`...: no such resource.
    NoSuchResource,
    /// `serviceaccount/token`: resource names are plural.
    Singular,
    /// `serviceaccounts/*`: a subresource literally named `*`, not a wildcard.
    LiteralStar,
}

/// Resource names that look like the token API but do not exist, so a rule naming them
/// grants (or, in a deny-by-omission review, restricts) nothing.
pub fn token_lookalike(resource: &str) -> Option<Lookalike> {
    match resource {
        "serviceaccounttokens" | "serviceaccounttoken" | "tokens" | "tokenrequests" => {
            Some(Lookalike::NoSuchResource)
        }
        "serviceaccount/token" => Some(Lookalike::Singular),
        "serviceaccounts/*" => Some(Lookalike::LiteralStar),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Rule {
        verbs: Vec<&'static str>,
        groups: Vec<&'static str>,
        resources: Vec<&'static str>,
        names: bool,
    }

    impl PolicyRuleLists for Rule {
        fn verbs(&self) -> impl Iterator<Item = &str> {
            self.verbs.iter().copied()
        }
        fn api_groups(&self) -> impl Iterator<Item = &str> {
            self.groups.iter().copied()
        }
        fn resources(&self) -> impl Iterator<Item = &str> {
            self.resources.iter().copied()
        }
        fn has_resource_names(&self) -> bool {
            self.names
        }
    }

    fn rule(verbs: &[&'static str], groups: &[&'static str], resources: &[&'static str]) -> Rule {
        Rule {
            verbs: verbs.to_vec(),
            groups: groups.to_vec(),
            resources: resources.to_vec(),
            names: false,
        }
    }

    #[test]
    fn resource_matching_is_the_api_servers() {
        let token = |r: &Rule| allows(r, "create", "", "serviceaccounts", Some("token"));
        assert!(token(&rule(&["create"], &[""], &["serviceaccounts/token"])));
        assert!(token(&rule(&["*"], &["*"], &["*"])));
        assert!(token(&rule(&["create"], &[""], &["*/token"])));
        assert!(
            !token(&rule(&["create"], &[""], &["serviceaccounts/*"])),
            "not a wildcard"
        );
        assert!(
            !token(&rule(&["create"], &[""], &["serviceaccounts"])),
            "the parent does not cover subresources"
        );
        assert!(!token(&rule(&["get"], &[""], &["serviceaccounts/token"])));
        assert!(!token(&rule(&["*"], &["apps"], &["*"])));
        assert!(allows(
            &rule(&["*"], &["apps"], &["*"]),
            "create",
            "apps",
            "deployments",
            None
        ));
    }

    #[test]
    fn grants_of_a_rule() {
        assert_eq!(
            grants(&rule(&["*"], &["*"], &["*"])),
            [
                Grant::Everything,
                Grant::MintTokens,
                Grant::ReadSecrets,
                Grant::CreateWorkloads,
                Grant::PodsExec,
                Grant::PodsAttach,
                Grant::NodesProxy,
                Grant::Impersonate,
                Grant::Escalate,
                Grant::Bind,
            ]
        );
        let named = Rule {
            names: true,
            ..rule(&["*"], &["*"], &["*"])
        };
        assert!(
            !grants(&named).contains(&Grant::Everything),
            "resourceNames narrow it"
        );
        assert_eq!(
            grants(&rule(&["list"], &[""], &["secrets"])),
            [Grant::ReadSecrets]
        );
        assert_eq!(
            grants(&rule(&["create"], &["batch"], &["cronjobs"])),
            [Grant::CreateWorkloads]
        );
        assert_eq!(
            grants(&rule(&["get"], &[""], &["pods/exec"])),
            [Grant::PodsExec]
        );
        assert_eq!(
            grants(&rule(
                &["bind"],
                &["rbac.authorization.k8s.io"],
                &["clusterroles"]
            )),
            [Grant::Bind]
        );
        assert!(grants(&rule(&["get", "list"], &[""], &["pods", "configmaps"])).is_empty());
        assert!(Rule::default().verbs().next().is_none());
    }

    #[test]
    fn built_in_roles_aggregation_and_lookalikes() {
        assert_eq!(
            built_in_cluster_role("cluster-admin"),
            Some(&[Grant::Everything][..])
        );
        assert_eq!(built_in_cluster_role("view"), Some(&[][..]));
        assert_eq!(built_in_cluster_role("my-role"), None);
        let labels = [("a", "1"), ("b", "2")];
        assert!(aggregates(&[vec![("a", "1")]], &labels));
        assert!(aggregates(
            &[vec![("x", "9")], vec![("a", "1"), ("b", "2")]],
            &labels
        ));
        assert!(!aggregates(&[vec![("a", "1"), ("c", "3")]], &labels));
        assert!(
            !aggregates(&[Vec::<(&str, &str)>::new()], &labels),
            "an empty selector"
        );
        assert_eq!(token_lookalike("tokens"), Some(Lookalike::NoSuchResource));
        assert_eq!(
            token_lookalike("serviceaccount/token"),
            Some(Lookalike::Singular)
        );
        assert_eq!(
            token_lookalike("serviceaccounts/*"),
            Some(Lookalike::LiteralStar)
        );
        assert_eq!(token_lookalike("serviceaccounts/token"), None);
    }
}
