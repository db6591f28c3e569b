//! Workloads: objects of a kind that carries a pod spec (which kinds, and where, is
//! `k8s::kinds`), and the facts of that pod spec that decide whether its containers get
//! an API token.

use compact_str::CompactString;

use super::field::{BoolValue, key_value_origin, read_str};
use super::object::ObjectMeta;
use crate::k8s::{identity, tokens};
use crate::origin::{Located, Origin};
use crate::yaml::NodeRef;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerRole {
    Container,
    Init,
    Ephemeral,
}

#[derive(Clone, Debug)]
pub struct Container {
    pub name: CompactString,
    pub role: ContainerRole,
    /// Whether it already mounts a volume at [`tokens::TOKEN_MOUNT_DIR`].
    pub mounts_token_dir: bool,
}

#[derive(Clone, Debug)]
pub struct PodSpec {
    /// The key that opens the pod spec (`spec` of a Pod, `spec` under `template`).
    pub spec_key: Origin,
    pub automount: Option<Located<BoolValue>>,
    pub service_account_name: Option<Located<CompactString>>,
    /// The deprecated alias of `serviceAccountName`: rare, so boxed, which keeps every
    /// workload of a large scan 40 bytes smaller.
    pub service_account: Option<Box<Located<CompactString>>>,
    pub containers: Box<[Container]>,
    /// `serviceAccountToken` sources of projected volumes, in volume order.
    pub projected_tokens: Box<[ProjectedToken]>,
}

/// A projected `serviceAccountToken` volume source (SPEC 4.5): mounted whatever
/// `automountServiceAccountToken` says.
#[derive(Clone, Debug)]
pub struct ProjectedToken {
    /// The volume's name, at its `name` key (else at the volume).
    pub volume: Located<CompactString>,
    /// The `serviceAccountToken` key.
    pub key: Origin,
    pub audience: Option<Located<CompactString>>,
    /// `expirationSeconds`, when set.
    pub expiration: Option<Located<i64>>,
}

impl ProjectedToken {
    /// Its lifetime: `expirationSeconds`, else Kubernetes' default.
    pub fn expiration_seconds(&self) -> i64 {
        self.expiration
            .map_or(tokens::DEFAULT_EXPIRATION_SECONDS, |seconds| seconds.value)
    }
}

impl PodSpec {
    /// The service account's name: `serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default` (SPEC 4.2).
    pub fn service_account_name(&self) -> &str {
        identity::pod_service_account(
            self.service_account_name.as_ref().map(|f| f.as_str()),
            self.service_account.as_deref().map(|f| f.as_str()),
        )
    }

    /// The field that names the service account, if any names one.
    pub fn service_account_field(&self) -> Option<&Located<CompactString>> {
        [
            self.service_account_name.as_ref(),
            self.service_account.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find(|f| !f.is_empty())
    }

    /// Where a finding about the pod's service account points (SPEC 6): the field that
    /// names it, else a `serviceAccountName` (or `serviceAccount`) key written empty,
    /// which falls back to `default`.
    pub fn service_account_key(&self) -> Option<Origin> {
        self.service_account_field()
            .or(self.service_account_name.as_ref())
            .or(self.service_account.as_deref())
            .map(|f| f.at)
    }

    /// Containers the admission plugin would add the token to.
    pub fn token_receivers(&self) -> Vec<&Container> {
        self.containers
            .iter()
            .filter(|c| !c.mounts_token_dir)
            .collect()
    }

    /// True when containers exist and every one mounts its own volume at the token path.
    pub fn every_container_mounts_token_dir(&self) -> bool {
        !self.containers.is_empty() && self.containers.iter().all(|c| c.mounts_token_dir)
    }
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub meta: ObjectMeta,
    pub pod: PodSpec,
}

impl Workload {
    /// The workload view of an object of a workload kind, if its pod spec is there.
    pub fn read(
        mut meta: ObjectMeta,
        root: NodeRef<'_>,
        pod_spec_path: &[String],
    ) -> Option<Workload> {
        let (last, parents) = pod_spec_path.split_last()?;
        let mut node = root;
        for segment in parents {
            node = node.get(segment)?;
        }
        let (spec_key, spec) = node.entry(last)?;
        if !spec.is_map() {
            return None;
        }
        let field = |name: &str| spec.entry(name);
        let mut containers = Vec::new();
        for (list, role) in [
            ("initContainers", ContainerRole::Init),
            ("containers", ContainerRole::Container),
            ("ephemeralContainers", ContainerRole::Ephemeral),
        ] {
            let items = spec.get(list).map(NodeRef::items);
            containers.reserve_exact(items.as_ref().map_or(0, |i| i.size_hint().0));
            for c in items.into_iter().flatten() {
                containers.push(read_container(c, role));
            }
        }
        if !parents.is_empty() {
            // The pod template's own annotations (Helm charts often expose only these).
            let template = super::object::read_ignores(node.get("metadata"));
            meta.ignores = std::mem::take(&mut meta.ignores).with(template);
        }
        Some(Workload {
            meta,
            pod: PodSpec {
                spec_key: spec_key.origin(),
                automount: field("automountServiceAccountToken")
                    .map(|(k, v)| BoolValue::read(k, v)),
                service_account_name: field("serviceAccountName").map(|(k, v)| read_str(k, v)),
                service_account: field("serviceAccount").map(|(k, v)| Box::new(read_str(k, v))),
                containers: containers.into(),
                projected_tokens: read_projected_tokens(spec).into(),
            },
        })
    }
}

fn read_container(node: NodeRef<'_>, role: ContainerRole) -> Container {
    let mounts_token_dir = node
        .get("volumeMounts")
        .into_iter()
        .flat_map(|m| m.items())
        .filter_map(|m| m.get("mountPath")?.as_str())
        .any(tokens::is_token_mount_path);
    Container {
        name: node
            .get("name")
            .and_then(|n| n.scalar())
            .map(|s| s.text.into())
            .unwrap_or_default(),
        role,
        mounts_token_dir,
    }
}

fn read_projected_tokens(spec: NodeRef<'_>) -> Vec<ProjectedToken> {
    let mut tokens = Vec::new();
    for volume in spec.get("volumes").into_iter().flat_map(|v| v.items()) {
        let name = volume.entry("name").map_or_else(
            || Located::new(CompactString::default(), volume.origin()),
            |(k, v)| {
                let text = v.scalar().map(|s| s.text).unwrap_or_default();
                Located::new(text.into(), key_value_origin(k, v))
            },
        );
        let sources = volume.get("projected").and_then(|p| p.get("sources"));
        for source in sources.into_iter().flat_map(|s| s.items()) {
            let Some((key, token)) = source.entry("serviceAccountToken") else {
                continue;
            };
            let expiration = token.entry("expirationSeconds").and_then(|(k, v)| {
                match crate::yaml::scalar::resolve(v.scalar()?) {
                    crate::yaml::scalar::Value::Int(seconds) => {
                        Some(Located::new(seconds, key_value_origin(k, v)))
                    }
                    _ => None,
                }
            });
            let audience = token
                .entry("audience")
                .and_then(|(k, v)| Some(Located::new(v.as_str()?.into(), key_value_origin(k, v))));
            tokens.push(ProjectedToken {
                volume: name.clone(),
                key: key.origin(),
                audience,
                expiration,
            });
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use crate::files::FileId;
    use crate::model::FileModel;
    use crate::yaml::Pos;

    #[test]
    fn each_fact_of_a_projected_token_keeps_where_it_is_written() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]\n  volumes:\n    - name: vault-token\n      projected:\n        sources:\n          - serviceAccountToken:\n              audience: vault\n              expirationSeconds: 600\n";
        let model = FileModel::of_text(text, FileId(2));
        let [token] = &*model.workloads[0].pod.projected_tokens else {
            panic!("one projected token");
        };
        let start = |at: crate::origin::Origin| (at.file, at.span.start);
        let at = |line, col| (FileId(2), Pos { line, col });
        assert_eq!(
            (token.volume.as_str(), start(token.volume.at)),
            ("vault-token", at(7, 7))
        );
        // The name's key and value, not the whole volume that starts at the same place.
        assert_eq!(token.volume.at.span.end, Pos { line: 7, col: 24 });
        assert_eq!(start(token.key), at(10, 13));
        let audience = token.audience.as_ref().expect("audience");
        assert_eq!(
            (audience.as_str(), start(audience.at)),
            ("vault", at(11, 15))
        );
        let expiration = token.expiration.expect("expiration");
        assert_eq!((expiration.value, start(expiration.at)), (600, at(12, 15)));
        assert_eq!(token.expiration_seconds(), 600);
    }
}
