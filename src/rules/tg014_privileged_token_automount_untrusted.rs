use super::{Context, Rule, RuleMeta};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::PrivilegedTokenAutomountUntrusted,
        level: Level::Error,
        security_severity: "9.5",
        summary: "A workload of an untrusted service account with powerful RBAC gets an automounted API token.",
        description: "What TG001 finds, and the service account is bound in the scanned manifests to a powerful grant: everything, reading secrets, minting tokens, creating pods or workloads, pods/exec, pods/attach, nodes/proxy, impersonate, escalate, bind or cluster-admin. A compromised container can take over the namespace or the cluster.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
        tags: &[
            "security",
            "kubernetes",
            "service-account",
            "rbac",
            "cis-5.1.1",
            "cis-5.1.6",
        ],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG014 privileged-token-automount-untrusted

**What it finds.** Exactly what TG001 finds (a workload whose pods get an automounted API
token for a service account that is not trusted), when that service account is bound by a
RoleBinding or ClusterRoleBinding in the scan to a powerful grant:

- everything (`*` verbs on `*` resources in `*` groups), or the `cluster-admin` ClusterRole;
- reading secrets; minting tokens (`create` on `serviceaccounts/token`);
- `create` on pods or workload kinds; `pods/exec`; `pods/attach`; `nodes/proxy`;
- `impersonate`, `escalate`, `bind`.

It is reported instead of TG001 so that the dashboard ranks it critical. The message names
the bindings; each binding is a related location (a note in text output) that says which
role it binds and what that role grants.

**Why it matters.** The token in the container is as powerful as its RBAC. With these
grants, code execution in the pod becomes control over the namespace or the whole cluster
(CIS Kubernetes Benchmark 5.1.1, 5.1.6).

**How to fix.** First turn the token off where it is not needed:

```yaml
spec:
  template:
    spec:
      automountServiceAccountToken: false
```

If the workload does need the API, give it a dedicated service account with the least
RBAC it needs (not `cluster-admin`, not `*`), and trust that account in
`.tokenguard.yaml` with a reason.

**How to suppress.** Trust the service account, or add an `exemptions` entry with a reason
and an expiry date. In the manifest, the annotation
`tokenguard.dev/ignore-TG014: "<reason>"` on the workload or its pod template suppresses it
for that object.

**References.** CIS Kubernetes Benchmark 5.1.1, 5.1.6;
[RBAC good practices](https://kubernetes.io/docs/concepts/security/rbac-good-practices/).
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    if facts.exposed() && !facts.bindings().powerful.is_empty() {
        out.push(super::exposure::finding(ctx, &RULE.meta, facts));
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config};

    const MANIFESTS: &str = "
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: deployer-admin}
        subjects:
          - {kind: ServiceAccount, name: deployer, namespace: shop}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: deploy, namespace: shop}
        spec:
          serviceAccountName: deployer
          containers:
            - {name: deploy, image: deploy}
        ";

    #[test]
    fn fires_instead_of_tg001_when_the_service_account_is_bound_to_powerful_rbac() {
        let found = check(&RULE, MANIFESTS);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (12, 3),
            Level::Error,
            &[
                "Pod shop/deploy",
                "shop/deployer",
                "bound to powerful RBAC by ClusterRoleBinding deployer-admin",
            ],
        );
        let tg001 = check(
            &crate::rules::tg001_token_automount_untrusted::RULE,
            MANIFESTS,
        );
        assert!(tg001.is_empty(), "{tg001:?}");
    }

    #[test]
    fn a_trusted_service_account_is_fine() {
        let config = "
            trusted:
              - serviceAccount: shop/deployer
                reason: deploys the shop
            ";
        assert!(check_with_config(&RULE, MANIFESTS, config).is_empty());
    }
}
