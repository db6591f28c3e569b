//! SPEC 4.6: what an RBAC rule grants, in the terms the rules report: token minting,
//! secret reading and the other grants that make a token powerful.

use std::fmt;

use crate::model::names::Names;
use crate::model::rbac::PolicyRule;

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

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Grant::Everything => "everything (* on *)",
            Grant::MintTokens => "create serviceaccounts/token",
            Grant::ReadSecrets => "read secrets",
            Grant::CreateWorkloads => "create pods or workloads",
            Grant::PodsExec => "pods/exec",
            Grant::PodsAttach => "pods/attach",
            Grant::NodesProxy => "nodes/proxy",
            Grant::Impersonate => "impersonate",
            Grant::Escalate => "escalate",
            Grant::Bind => "bind",
        })
    }
}

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

/// The powerful grants of one rule.
pub fn grants(rule: &PolicyRule) -> Vec<Grant> {
    let mut out = Vec::new();
    let wildcard = |list: &Names| list.iter().any(|v| v == "*");
    if wildcard(&rule.verbs)
        && wildcard(&rule.api_groups)
        && wildcard(&rule.resources)
        && rule.resource_names.is_empty()
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
        .any(|(group, resource)| rule.allows("create", group, resource, None))
    {
        out.push(Grant::CreateWorkloads);
    }
    let any_verb = |verbs: &[&str], group: &str, resource: &str, sub: Option<&str>| {
        verbs.iter().any(|v| rule.allows(v, group, resource, sub))
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
        .any(|r| rule.allows("impersonate", "", r, None))
    {
        out.push(Grant::Impersonate);
    }
    for (verb, grant) in [("escalate", Grant::Escalate), ("bind", Grant::Bind)] {
        if ["roles", "clusterroles"]
            .iter()
            .any(|r| rule.allows(verb, "rbac.authorization.k8s.io", r, None))
        {
            out.push(grant);
        }
    }
    out
}

/// `create` on `serviceaccounts/token` in the core group.
pub fn mints_tokens(rule: &PolicyRule) -> bool {
    rule.allows("create", "", "serviceaccounts", Some("token"))
}

/// `get`, `list` or `watch` on `secrets` in the core group.
pub fn reads_secrets(rule: &PolicyRule) -> bool {
    ["get", "list", "watch"]
        .iter()
        .any(|verb| rule.allows(verb, "", "secrets", None))
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

/// Resource names that look like the token API but do not exist, so a rule naming them
/// grants (or, in a deny-by-omission review, restricts) nothing.
pub fn token_lookalike(resource: &str) -> Option<&'static str> {
    match resource {
        "serviceaccounttokens" | "serviceaccounttoken" | "tokens" | "tokenrequests" => {
            Some("is not a Kubernetes resource")
        }
        "serviceaccount/token" => Some("is not a Kubernetes resource (resource names are plural)"),
        "serviceaccounts/*" => {
            Some("is not a wildcard: it matches only a subresource literally named `*`")
        }
        _ => None,
    }
}
